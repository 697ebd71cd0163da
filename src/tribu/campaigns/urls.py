from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("newsletter/", views.newsletter, name="newsletter"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/preview/email/", views.preview_html, name="preview_html"),
    path("<int:pk>/test/", views.send_test, name="send_test"),
    path("<int:pk>/schedule/", views.schedule, name="schedule"),
    path("<int:pk>/unschedule/", views.unschedule, name="unschedule"),
    path("<int:pk>/pause/", views.pause, name="pause"),
    path("<int:pk>/resume/", views.resume, name="resume"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/stats/", views.stats, name="stats"),
    # Public, signed tracking addresses (no login): the open pixel and the click redirect.
    path("t/o/<str:token>.gif", views.open_pixel, name="open"),
    path("t/c/<str:token>/", views.click, name="click"),
]
