from django.urls import path

from . import views

app_name = "memberships"
urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("mine/choose/<int:tier_id>/", views.choose, name="choose"),
    path("manage/tiers/", views.manage_tiers, name="manage_tiers"),
    path("manage/tiers/new/", views.tier_create, name="tier_create"),
    path("manage/tiers/<int:tier_id>/", views.tier_edit, name="tier_edit"),
    path("manage/tiers/<int:tier_id>/move/<str:direction>/", views.tier_move, name="tier_move"),
    path("manage/tiers/<int:tier_id>/archive/", views.tier_archive, name="tier_archive"),
    path("manage/tiers/<int:tier_id>/restore/", views.tier_restore, name="tier_restore"),
    path("manage/tiers/areas/<str:area>/", views.areas, name="areas"),
    path("manage/", views.manage_memberships, name="manage_memberships"),
    path("manage/members/<int:user_id>/", views.manage_member, name="manage_member"),
    path("manage/companies/<int:company_id>/", views.manage_company, name="manage_company"),
    path("manage/<str:kind>/<int:holder_id>/grant/", views.grant, name="grant"),
    path("manage/memberships/<int:membership_id>/<str:what>/", views.act, name="act"),
]
