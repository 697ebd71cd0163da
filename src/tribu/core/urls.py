from django.urls import include, path

from . import admin_views, views

app_name = "core"
urlpatterns = [
    path("legal/<slug:page>/", views.legal, name="legal"),
    path("i18n/language/", views.set_language, name="set_language"),
    path("branding.css", views.branding_css, name="branding_css"),
    path("icons/<int:size>.png", views.icon, name="icon"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
    path("manage/", admin_views.admin_home, name="admin_home"),
    path("manage/community/", admin_views.community_settings, name="community_settings"),
    path("manage/audit/", admin_views.audit_log, name="audit_log"),
    path("manage/outbox/", admin_views.outbox, name="outbox"),
    path("manage/outbox/<str:message_id>/", admin_views.outbox_message, name="outbox_message"),
    path("manage/members/", admin_views.members, name="members"),
    path("manage/members/<int:user_id>/role/", admin_views.change_role, name="change_role"),
    path("", include("tribu.core.notifications.urls")),
]
