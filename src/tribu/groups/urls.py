from django.urls import path

from . import views

app_name = "groups"
urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("new/", views.create, name="create"),
    path("types.css", views.types_css, name="types_css"),
    path("manage/", views.manage, name="manage"),
    path("manage/types/", views.type_edit, name="type_create"),
    path("manage/types/<int:type_id>/", views.type_edit, name="type_edit"),
    path("manage/types/<int:type_id>/delete/", views.type_delete, name="type_delete"),
    path("manage/policy/", views.policy, name="policy"),
    path("manage/proposals/<int:proposal_id>/", views.decide_proposal, name="decide_proposal"),
    path("invitations/<str:token>/", views.accept, name="accept"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/members.csv", views.members_csv, name="members_csv"),
    path("<slug:slug>/about/", views.about, name="about"),
    path("<slug:slug>/join/", views.join, name="join"),
    path("<slug:slug>/request/cancel/", views.cancel_request, name="cancel_request"),
    path("<slug:slug>/leave/", views.leave, name="leave"),
    path("<slug:slug>/notifications/", views.set_level, name="set_level"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/archive/", views.archive, name="archive"),
    path("<slug:slug>/requests/", views.requests, name="requests"),
    path("<slug:slug>/requests/<int:request_id>/", views.decide, name="decide"),
    path("<slug:slug>/invite/", views.invite, name="invite"),
    path("<slug:slug>/invitations/<int:invitation_id>/revoke/", views.revoke, name="revoke"),
    path("<slug:slug>/members/<int:user_id>/remove/", views.remove, name="remove"),
    path("<slug:slug>/members/<int:user_id>/role/", views.set_role, name="set_role"),
    path("<slug:slug>/rules/", views.rules_page, name="rules"),
    path("<slug:slug>/rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
]
