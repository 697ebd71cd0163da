from django.urls import path, re_path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/mapping/", views.mapping, name="mapping"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/apply/", views.apply, name="apply"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("export/members/", views.export_members, name="export_members"),
    path("export/companies/", views.export_companies, name="export_companies"),
    re_path(r"^welcome/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>[^/]+)/$", views.welcome, name="welcome"),
]
