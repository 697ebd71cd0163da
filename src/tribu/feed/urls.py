from django.urls import include, path

from . import views

app_name = "feed"

# No ``feed:index`` yet: the community feed page comes with the feed issue (the navigation shows
# the "Feed" area once that name exists).
urlpatterns = [
    path("groups/<slug:slug>/posts/", views.create, name="create"),
    path("posts/<int:post_id>/pin/", views.pin, name="pin"),
    path("posts/<int:post_id>/delete/", views.delete, name="delete"),
    path("", include("tribu.feed.discussion.urls")),
]
