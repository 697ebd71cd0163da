from django.urls import path

from . import views

app_name = "companies"
urlpatterns = [
    path("", views.index, name="index"),
    path("partners/", views.partners, name="partners"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.create, name="create"),
    path("manage/levels/", views.levels, name="levels"),
    path("manage/levels/<int:level_id>/", views.levels, name="level_edit"),
    path("manage/levels/<int:level_id>/delete/", views.level_delete, name="level_delete"),
    path("invitations/<str:token>/", views.accept, name="accept"),
    path("leave/", views.leave, name="leave"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/delete/", views.delete, name="delete"),
    path("<slug:slug>/people/", views.people, name="people"),
    path("<slug:slug>/membership/", views.membership, name="membership"),
    path("<slug:slug>/membership/card/", views.membership_card, name="membership_card"),
    path("<slug:slug>/membership/offline/", views.membership_offline, name="membership_offline"),
    path("<slug:slug>/membership/portal/", views.membership_portal, name="membership_portal"),
    path("<slug:slug>/people/invite/", views.invite, name="invite"),
    path("<slug:slug>/people/attach/", views.attach, name="attach"),
    path("<slug:slug>/invitations/<int:invitation_id>/revoke/", views.revoke, name="revoke_invitation"),
    path("<slug:slug>/members/<int:user_id>/remove/", views.remove, name="remove_member"),
    path("<slug:slug>/members/<int:user_id>/contact/", views.set_contact, name="set_contact"),
]
