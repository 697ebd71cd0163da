from django.urls import path

from . import views, webhooks

app_name = "mailing"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/<str:token>/", views.preferences_signed, name="preferences_signed"),
    path("manage/", views.manage, name="manage"),
    path("manage/suppressions/", views.suppressions, name="suppressions"),
    path("manage/suppressions/<int:pk>/lift/", views.lift, name="lift"),
    path("manage/preview/<str:preview_id>/", views.preview_frame, name="preview_frame"),
    path("manage/<str:language>/<path:key>/", views.edit, name="edit"),
    path("anymail/<str:esp>/tracking/", webhooks.tracking, name="anymail_tracking"),
]
