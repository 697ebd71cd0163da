"""Pages of the mailing app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    raise NotImplementedError


def preferences(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def preferences_signed(request: HttpRequest, token: str) -> HttpResponse:
    raise NotImplementedError
