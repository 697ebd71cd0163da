"""How API callers prove who they are: a personal access token, or the browser's session.

``BearerTokenAuth`` reads ``Authorization: Bearer tribu_…``; a token that is unknown, revoked or
expired is refused with a 401 straight away (no fallback to the session). ``SessionAuth`` accepts a
signed-in browser and enforces CSRF on unsafe methods. Either way, once the caller is known the
member's own language is activated so error messages speak it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from . import actions, policies
from .errors import ApiError
from .queries import token_for_secret

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _adopt(request: HttpRequest, user: Any) -> Any:
    if not policies.can_use_api(user):
        raise ApiError(403, message=_("Your account may not use the API."))
    request.user = user
    if user.language in SUPPORTED_LANGUAGES:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language  # type: ignore[attr-defined]
    return user


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_for_secret(token.strip())
        if found is None:
            raise ApiError(401, "invalid_token", _("This API token is not valid."))
        if found.revoked_at is not None:
            raise ApiError(401, "token_revoked", _("This API token has been revoked."))
        if found.is_expired:
            raise ApiError(401, "token_expired", _("This API token has expired."))
        if not found.user.is_active:
            raise ApiError(401, "invalid_token", _("This API token is not valid."))
        actions.touch_token(found)
        request.api_token = found  # type: ignore[attr-defined]
        return _adopt(request, found.user)


class SessionAuth(APIKeyCookie):
    """Django's session, with CSRF checked on unsafe methods only when the session is what authenticates."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if (
            self.csrf
            and request.method not in SAFE_METHODS
            and not getattr(request, "_ninja_csrf_exempt", False)
            and check_csrf(request) is not None
        ):
            raise ApiError(
                403,
                "csrf_failed",
                _("CSRF check failed: send the X-CSRFToken header with the value of the csrftoken cookie."),
            )
        return _adopt(request, user)
