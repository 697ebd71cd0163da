from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from tribu.api.urls import api
from tribu.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("", include("tribu.core.urls")),
    path("", include("tribu.core.health_urls")),
    path("accounts/settings/tokens/", include("tribu.api.page_urls")),
    path("accounts/settings/", include("tribu.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("members/", include("tribu.directory.urls")),
    path("profile/", include("tribu.accounts.profile_urls")),
    path("memberships/", include("tribu.memberships.urls")),
    path("companies/", include("tribu.companies.urls")),
    path("manage/imports/", include("tribu.imports.urls")),
    path("accounts/settings/privacy/", include("tribu.privacy.urls")),
    path("groups/", include("tribu.groups.urls")),
    path("feed/", include("tribu.feed.urls")),
    path("payments/", include("tribu.payments.urls")),
    path("billing/", include("tribu.billing.urls")),
    path("email/", include("tribu.mailing.urls")),
    path("manage/segments/", include("tribu.segments.urls")),
    path("manage/campaigns/", include("tribu.campaigns.urls")),
    path("events/", include("tribu.events.urls")),
    path("attachments/", include("tribu.media.urls")),
    path("library/", include("tribu.library.urls")),
    path("search/", include("tribu.search.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]
if not settings.STORAGES["default"]["BACKEND"].endswith("S3Storage"):
    # Embedded mode: uploads are served by the app itself (a reverse proxy does it in production).
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))

handler400 = "tribu.core.views.error_400"
handler403 = "tribu.core.views.error_403"
handler404 = "tribu.core.views.error_404"
handler500 = "tribu.core.views.error_500"
