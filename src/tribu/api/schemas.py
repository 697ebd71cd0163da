"""Shapes of what the API reads and writes (they are also the OpenAPI schema)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import field_validator


class MeOut(Schema):
    id: int
    email: str
    name: str
    display_name: str
    role: str
    language: str = Field(description="Empty: the community's default language.")
    time_zone: str = Field(description="Empty: the community's time zone.")


class MeIn(Schema):
    display_name: str | None = Field(None, max_length=150)
    language: str | None = Field(None, description="One of the site's languages, or empty for the default.")
    time_zone: str | None = Field(None, max_length=64, description="An IANA name such as Europe/Paris, or empty.")

    @field_validator("display_name")
    @classmethod
    def _display_name(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(_("Enter the name other members will see."))
        return value.strip() if value is not None else None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value and value not in {code for code, _name in settings.LANGUAGES}:
            raise ValueError(
                _("Unknown language. Choose one of: %(choices)s.")
                % {"choices": ", ".join(code for code, _name in settings.LANGUAGES)}
            )
        return value

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str | None) -> str | None:
        if value and value not in zoneinfo.available_timezones():
            raise ValueError(_("Unknown time zone, such as Europe/Paris."))
        return value


class CommunityOut(Schema):
    name: str
    tagline: str
    primary_colour: str
    secondary_colour: str
    default_language: str
    time_zone: str
    logo_url: str | None
    favicon_url: str | None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class TokenCreatedOut(TokenOut):
    secret: str = Field(description="Shown only once: store it now.")


class ErrorBody(Schema):
    code: str = Field(description="Stable, machine-readable: not_found, validation_error, token_expired…")
    message: str = Field(description="For people, in the caller's language.")
    details: Any = Field(None, description="For validation errors: the messages of each field.")


class ErrorOut(Schema):
    error: ErrorBody
