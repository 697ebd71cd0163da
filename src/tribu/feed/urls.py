from django.urls import include, path

from . import views

app_name = "feed"

urlpatterns = [
    path("", views.index, name="index"),
    path("compose/", views.compose, name="compose"),
    path("drafts/", views.drafts, name="drafts"),
    path("unanswered/", views.unanswered, name="unanswered"),
    path("mentions/", views.mention_suggestions, name="mention_suggestions"),
    path("tags/<str:name>/", views.tag, name="tag"),
    path("tags/<str:name>/follow/", views.follow_tag, name="follow_tag"),
    path("members/<int:user_id>/follow/", views.follow_member, name="follow_member"),
    path("manage/welcome/", views.welcome_blocks, name="welcome_blocks"),
    path("manage/welcome/<int:block_id>/", views.welcome_blocks, name="welcome_block"),
    path("manage/welcome/<int:block_id>/delete/", views.delete_welcome_block, name="delete_welcome_block"),
    path("groups/<slug:slug>/posts/", views.create, name="create"),
    path("posts/<int:post_id>/edit/", views.edit, name="edit"),
    path("posts/<int:post_id>/history/", views.history, name="history"),
    path("posts/<int:post_id>/publish/", views.publish, name="publish"),
    path("posts/<int:post_id>/pin/", views.pin, name="pin"),
    path("posts/<int:post_id>/lock/", views.lock, name="lock"),
    path("posts/<int:post_id>/feature/", views.feature, name="feature"),
    path("posts/<int:post_id>/delete/", views.delete, name="delete"),
    path("", include("tribu.feed.discussion.urls")),
]
