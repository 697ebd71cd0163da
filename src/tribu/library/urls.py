from django.urls import path

from . import views

app_name = "library"

urlpatterns = [
    path("", views.index, name="index"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("groups/<slug:slug>/", views.group, name="group"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/cover/", views.cover, name="cover"),
    path("<int:pk>/discuss/", views.discuss, name="discuss"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/feature/", views.feature, name="feature"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.create, name="create"),
    path("manage/categories/new/", views.category_create, name="category_create"),
    path("manage/categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("manage/categories/<int:pk>/delete/", views.category_delete, name="category_delete"),
]
