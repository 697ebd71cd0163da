from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("download/", views.download, name="download"),
    path("consents/", views.consents, name="consents"),
    path("request/", views.request_erasure, name="request"),
    path("delete/", views.erase, name="erase"),
    path("requests/", views.manage, name="manage"),
    path("requests/<int:pk>/erase/", views.manage_erase, name="manage_erase"),
    path("requests/<int:pk>/cancel/", views.manage_cancel, name="manage_cancel"),
]
