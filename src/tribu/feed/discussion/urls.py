from django.urls import path  # noqa: F401

# Included by ``tribu.feed.urls`` (same ``feed:`` namespace).
urlpatterns: list = []
