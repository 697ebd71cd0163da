from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation

from . import policies
from .community import get_community

SUPPORTED = {code for code, _ in settings.LANGUAGES}


def pick_language(request: HttpRequest) -> str:
    """The member's choice, then the visitor's cookie, then the community's default language."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in SUPPORTED:
        return user.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in SUPPORTED:
        return cookie
    default = get_community().default_language
    return default if default in SUPPORTED else settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = pick_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers["Vary"] = ", ".join(
            v for v in {*(response.headers.get("Vary", "").split(", ")), "Cookie"} if v
        )
        translation.deactivate()
        return response


class TimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        name = (user.time_zone if user is not None and user.is_authenticated else "") or get_community().time_zone
        try:
            timezone.activate(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class AdminTwoFactorMiddleware:
    """When the community requires it, the team must set up TOTP before using anything else."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/media/", "/healthz", "/i18n/", "/sw.js", "/manifest")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and policies.requires_two_factor(user, get_community())
        ):
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                return redirect("mfa_activate_totp")
        return self.get_response(request)


class FormErrorStatusMiddleware:
    """A form sent back with errors answers 400, whichever view rendered it (ours or allauth's),
    so scripts and tests see bad input as a client error, never as a success."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_template_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code != 200:
            return response
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        if request.method == "POST" and form is not None and getattr(form, "is_bound", False) and form.errors:
            response.status_code = 400
        elif context.get("token_fail") or ("confirmation" in context and context["confirmation"] is None):
            # A wrong or expired link (password reset, email confirmation).
            response.status_code = 400
        return response
