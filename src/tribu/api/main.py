"""The ``NinjaAPI`` instance behind ``/api/v1/``: authentication, errors, throttling, routers.

Other apps plug their endpoints in with ``api.add_router("/events", "tribu.events.api.router")``
below (before the URLs are first built).
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.throttling import AnonRateThrottle, UserRateThrottle

from .auth import BearerTokenAuth, SessionAuth
from .errors import error_response, install_error_handlers

DESCRIPTION = """\
The Tribu REST API. Authenticate with a personal access token (`Authorization: Bearer tribu_…`,
created under *Account settings → API tokens*) or, from the browser, with your session (send the
`X-CSRFToken` header on POST, PATCH and DELETE). Errors always read
`{"error": {"code": "…", "message": "…", "details": …}}`; lists are paginated with
`?page=&page_size=`.
"""


def _json_405(view: Any) -> Any:
    """Ninja answers an unsupported method with a plain-text 405; ours is JSON like every other error."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = error_response(405, details={"allowed": [m.strip() for m in allowed.split(",")]})
            response["Allow"] = allowed
        return response

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapper


def api_root(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "name": "Tribu API",
            "version": "1",
            "openapi": request.build_absolute_uri("openapi.json"),
            "docs": request.build_absolute_uri("docs"),
        }
    )


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return error_response(404, message=_("There is no API endpoint at this address."))


not_found.csrf_exempt = True  # type: ignore[attr-defined]


class TribuAPI(NinjaAPI):
    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls: list[URLPattern | URLResolver] = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern) and pattern.name == "api-root":
                # Ninja's root raises an HTML 404; keep the name (used to compute paths) but answer JSON.
                urls.append(path("", api_root, name="api-root"))
            elif isinstance(pattern, URLPattern):
                pattern.callback = _json_405(pattern.callback)
                urls.append(pattern)
            else:
                urls.append(pattern)
        # Last: whatever is left under /api/v1/ is a JSON 404, not the site's HTML page.
        urls.append(path("<path:rest>", not_found, name="not-found"))
        return urls


def _rate(name: str, default: str) -> str:
    return str(getattr(settings, name, default))


api = TribuAPI(
    title="Tribu API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api_v1",
    docs_url="/docs",
    auth=[BearerTokenAuth(), SessionAuth()],
    throttle=[
        AnonRateThrottle(_rate("TRIBU_API_RATE_ANON", "60/m")),
        UserRateThrottle(_rate("TRIBU_API_RATE_USER", "600/m")),
    ],
)
install_error_handlers(api)
api.add_router("", "tribu.api.endpoints.router")
api.add_router("", "tribu.accounts.api.router")
api.add_router("", "tribu.memberships.api.router")
api.add_router("", "tribu.companies.api.router")
api.add_router("", "tribu.directory.api.router")
api.add_router("", "tribu.imports.api.router")
api.add_router("", "tribu.privacy.api.router")
api.add_router("", "tribu.groups.api.router")
api.add_router("", "tribu.feed.api.router")
api.add_router("", "tribu.feed.discussion.api.router")
api.add_router("", "tribu.payments.api.router")
api.add_router("", "tribu.billing.api.router")
api.add_router("", "tribu.mailing.api.router")
api.add_router("", "tribu.segments.api.router")
api.add_router("", "tribu.campaigns.api.router")
api.add_router("", "tribu.events.api.router")
api.add_router("", "tribu.media.api.router")
api.add_router("", "tribu.library.api.router")
api.add_router("", "tribu.search.api.router")
