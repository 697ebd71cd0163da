from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("", views.index, name="index"),
    path("month/", views.month, name="month_now"),
    path("month/<int:year>/<int:month_number>/", views.month, name="month"),
    path("mine/", views.mine, name="mine"),
    path("manage/", views.manage, name="manage"),
    path("new/", views.create, name="create"),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
    path("ticket/<str:code>/", views.ticket, name="ticket"),
    path("ticket/<str:code>/feedback/", views.feedback, name="feedback"),
    path("ticket/<str:code>/pay/", views.pay, name="pay"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/event.ics", views.event_ics, name="ics"),
    path("<slug:slug>/register/", views.register, name="register"),
    path("<slug:slug>/unregister/", views.unregister, name="unregister"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/publish/", views.publish, name="publish"),
    path("<slug:slug>/cancel/", views.cancel, name="cancel"),
    path("<slug:slug>/programme/", views.programme, name="programme"),
    path("<slug:slug>/programme/<str:kind>/<int:item_id>/remove/", views.programme_remove, name="programme_remove"),
    path("<slug:slug>/attendees/", views.attendees, name="attendees"),
    path("<slug:slug>/attendees/export.<str:fmt>", views.export, name="export"),
    path("<slug:slug>/attendees/<int:registration_id>/check-in/", views.tick, name="tick"),
    path("<slug:slug>/attendees/walk-in/", views.walk_in, name="walk_in"),
    path("<slug:slug>/check-in/", views.checkin, name="checkin"),
]
