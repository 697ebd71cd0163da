from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.mark_all_read, name="notifications_mark_all_read"),
    path("notifications/badge/", views.badge, name="notification_badge"),
    path("notifications/preferences/", views.preferences, name="notification_preferences"),
    path("notifications/stop/<str:token>/", views.stop, name="notification_stop"),
    path("notifications/<int:notification_id>/open/", views.open_notification, name="notification_open"),
]
