from django.urls import path

from . import views

app_name = "media"

urlpatterns = [
    path("<int:pk>/", views.download, name="download"),
    path("<int:pk>/thumbnail/", views.thumbnail, name="thumbnail"),
    path("links/<int:pk>/picture/", views.link_image, name="link_image"),
    path("preview/", views.preview, name="preview"),
    path("formatting/", views.help_page, name="help"),
]
