from django.urls import path

from . import views

app_name = "profile"
urlpatterns = [
    path("", views.my_profile, name="mine"),
    path("edit/", views.profile_edit, name="edit"),
    path("complete/", views.complete_profile, name="complete"),
    path("tags/", views.tag_suggestions, name="tag_suggestions"),
    path("manage/fields/", views.manage_fields, name="manage_fields"),
    path("manage/fields/new/", views.field_create, name="field_create"),
    path("manage/fields/signup/", views.manage_signup, name="manage_signup"),
    path("manage/fields/<int:field_id>/", views.field_edit, name="field_edit"),
    path("<int:user_id>/", views.profile_detail, name="detail"),
    path("<int:user_id>/edit/", views.profile_edit_member, name="edit_member"),
    path("<int:user_id>/files/<slug:key>/", views.custom_file, name="custom_file"),
]
