from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("documents/<int:document_id>/", views.document, name="document"),
    path("company/renew/", views.company_renew, name="company_renew"),
    path("manage/", views.manage, name="manage"),
    path("manage/documents/", views.manage_documents, name="manage_documents"),
    path("manage/export/", views.export, name="export"),
    path("manage/organisation/", views.organisation, name="organisation"),
    path("manage/remind/<int:membership_id>/", views.remind, name="remind"),
]
