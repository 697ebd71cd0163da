"""One JSON shape for every API error: ``{"error": {"code", "message", "details"}}``.

Messages are translated in the request's language. Exception handlers are registered on the
``NinjaAPI`` by ``install_error_handlers``; 404s outside any route and 405s are answered by
``TribuAPI`` (see ``main.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("tribu.api")

DEFAULTS: dict[int, tuple[str, Any]] = {
    400: ("bad_request", gettext_lazy("The request could not be understood.")),
    401: ("not_authenticated", gettext_lazy("Authentication is required: log in or send a valid API token.")),
    403: ("permission_denied", gettext_lazy("You are not allowed to do this.")),
    404: ("not_found", gettext_lazy("Nothing was found at this address.")),
    405: ("method_not_allowed", gettext_lazy("This method is not allowed here.")),
    409: ("conflict", gettext_lazy("This conflicts with the current state of the resource.")),
    413: ("request_too_large", gettext_lazy("The request is too large.")),
    422: ("validation_error", gettext_lazy("Some values are not valid.")),
    429: ("rate_limited", gettext_lazy("Too many requests: slow down and try again shortly.")),
    500: ("server_error", gettext_lazy("Something went wrong on our side. Please try again later.")),
}


class ApiError(HttpError):
    """Raise from an endpoint for a deliberate error with a stable ``code``."""

    def __init__(self, status_code: int, code: str | None = None, message: Any = None, details: Any = None):
        default_code, default_message = DEFAULTS.get(status_code, DEFAULTS[400])
        self.code = code or default_code
        self.details = details
        super().__init__(status_code, str(message or default_message))


def error_body(status: int, code: str | None = None, message: Any = None, details: Any = None) -> dict[str, Any]:
    default_code, default_message = DEFAULTS.get(status, DEFAULTS[500 if status >= 500 else 400])
    return {
        "error": {
            "code": code or default_code,
            "message": str(message or default_message),
            "details": details,
        }
    }


def error_response(status: int, code: str | None = None, message: Any = None, details: Any = None) -> JsonResponse:
    """A JSON error response usable outside NinjaAPI's handlers (catch-all 404, 405)."""
    return JsonResponse(error_body(status, code, message, details), status=status)


# Pydantic's own messages are English only; the usual ones get a translated message here.
PYDANTIC_MESSAGES: dict[str, Any] = {
    "missing": gettext_lazy("This field is required."),
    "string_too_long": gettext_lazy("This value is too long."),
    "string_too_short": gettext_lazy("This value is too short."),
    "string_type": gettext_lazy("Enter text."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_type": gettext_lazy("Enter a whole number."),
    "greater_than_equal": gettext_lazy("This number is too small."),
    "less_than_equal": gettext_lazy("This number is too large."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
    "extra_forbidden": gettext_lazy("This field is not accepted."),
}
LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}


def _field_of(loc: Any) -> str:
    parts = [str(p) for p in (loc or []) if p not in LOCATIONS]
    # Ninja wraps a body schema under its parameter name ("payload"): keep only the field part.
    if len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def validation_details(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    details: dict[str, list[str]] = {}
    for err in errors:
        message = PYDANTIC_MESSAGES.get(err.get("type", ""))
        ctx_error = (err.get("ctx") or {}).get("error")
        if message:
            text = str(message)
        elif err.get("type") == "value_error" and ctx_error:
            text = str(ctx_error)  # our own validators raise translated messages
        else:
            text = str(err.get("msg", ""))
        details.setdefault(_field_of(err.get("loc")), []).append(text)
    return details


def django_validation_details(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errs for m in e.messages] for field, errs in exc.error_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(
        request: HttpRequest, status: int, code: str | None = None, message: Any = None, details: Any = None
    ) -> HttpResponse:
        return api.create_response(request, error_body(status, code, message, details), status=status)

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, ApiError):
            return respond(request, exc.status_code, exc.code, exc.message, exc.details)
        if isinstance(exc, Throttled):
            details = {"retry_after": exc.wait} if exc.wait is not None else None
            return respond(request, 429, details=details)
        if isinstance(exc, AuthenticationError | AuthorizationError) or exc.status_code in DEFAULTS:
            return respond(request, exc.status_code)
        return respond(request, exc.status_code, message=exc.message)

    def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, 422, details=validation_details(exc.errors))

    def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return respond(request, 422, details=django_validation_details(exc))

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, 404)

    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, message=str(exc) or None)

    def on_bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
        if isinstance(exc, RequestDataTooBig):
            return respond(request, 413)
        return respond(request, 400)

    def on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
        return respond(request, 500)

    api.add_exception_handler(Exception, on_exception)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(NinjaValidationError, on_validation_error)
    api.add_exception_handler(DjangoValidationError, on_django_validation_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(ObjectDoesNotExist, on_not_found)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(BadRequest, on_bad_request)
    api.add_exception_handler(SuspiciousOperation, on_bad_request)
