from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/preferences/", views.preferences, name="notification_preferences"),
]
