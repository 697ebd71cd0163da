"""The email provider's tracking webhooks (django-anymail), mounted at ``/email/anymail/<esp>/tracking/``.

They are open only when a webhook secret is configured (``ANYMAIL = {"WEBHOOK_SECRET": "user:password"}``
in the settings, from the ``TRIBU_ANYMAIL_WEBHOOK_SECRET`` environment variable): the provider then
calls ``https://user:password@<site>/email/anymail/<esp>/tracking/``. Without a secret they answer 404,
so nobody can put addresses on the suppression list by posting forged events."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt


def webhook_secret() -> str:
    configured = getattr(settings, "ANYMAIL", {}) or {}
    return (
        configured.get("WEBHOOK_SECRET")
        or getattr(settings, "ANYMAIL_WEBHOOK_SECRET", "")
    )


@functools.cache
def tracking_views() -> dict[str, Any]:
    """``{esp name: tracking view class}`` for every provider django-anymail supports."""
    from anymail import urls as anymail_urls

    views = {}
    for pattern in anymail_urls.urlpatterns:
        name = getattr(pattern, "name", "") or ""
        view_class = getattr(pattern.callback, "view_class", None)
        if name.endswith("_tracking_webhook") and view_class is not None:
            views[name.removesuffix("_tracking_webhook")] = view_class
    return views


def esp_names() -> list[str]:
    return sorted(tracking_views())


@csrf_exempt
def tracking(request: HttpRequest, esp: str) -> HttpResponse:
    view_class = tracking_views().get(esp)
    secret = webhook_secret()
    if view_class is None or not secret:
        raise Http404
    if not hasattr(view_class, "basic_auth"):
        return view_class.as_view()(request)  # providers that sign their calls (their own settings)
    return view_class.as_view(basic_auth=[secret])(request)
