from django.urls import path

from . import views

app_name = "mailing"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/<str:token>/", views.preferences_signed, name="preferences_signed"),
]
