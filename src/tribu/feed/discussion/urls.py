from django.urls import path

from . import views

# Included by ``tribu.feed.urls`` (same ``feed:`` namespace).
urlpatterns: list = [
    path("posts/<int:post_id>/", views.detail, name="detail"),
    path("posts/<int:post_id>/comments/", views.comment, name="comment"),
    path("posts/<int:post_id>/comments/<int:comment_id>/edit/", views.edit_comment, name="comment_edit"),
    path("posts/<int:post_id>/comments/<int:comment_id>/delete/", views.delete_comment, name="comment_delete"),
    path("posts/<int:post_id>/comments/<int:comment_id>/history/", views.comment_history, name="comment_history"),
    path("posts/<int:post_id>/react/", views.react, name="react"),
    path("posts/<int:post_id>/answer/", views.accept, name="accept"),
]
