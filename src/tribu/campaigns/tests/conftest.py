"""Factories for campaigns (keyword-only), on top of the named users and the SMTP server fixture."""

from __future__ import annotations

from typing import Any

import pytest


def make_members(n: int, *, prefix: str = "m", language: str = "", role: str = "member") -> list[Any]:
    from tribu.accounts.models import User

    users = [
        User(
            email=f"{prefix}{i}@example.org",
            display_name=f"{prefix.upper()} {i}",
            first_name=f"Prénom{i}",
            role=role,
            language=language,
        )
        for i in range(n)
    ]
    return User.objects.bulk_create(users)


def members_segment(name: str = "Members", roles: list[str] | None = None) -> Any:
    from tribu.segments.models import Segment

    return Segment.objects.create(
        name=name, filters={"match": "all", "rules": [{"field": "role", "op": "in", "value": roles or ["member"]}]}
    )


def make_campaign(*, name: str = "Rentrée", segment: Any = None, blocks: list | None = None, **extra: Any) -> Any:
    from tribu.campaigns.models import Campaign

    values = {
        "subject_fr": "Bonjour {{ first_name }}",
        "subject_en": "Hello {{ first_name }}",
        "preheader_fr": "Les nouvelles",
        "preheader_en": "The news",
        "rate_per_second": 0,
        "blocks": blocks
        if blocks is not None
        else [
            {
                "type": "text",
                "text_fr": "Bonjour **{{ first_name }}**, voici [le programme](https://example.com/programme).",
                "text_en": "Hello **{{ first_name }}**, here is [the programme](https://example.com/programme).",
            },
            {
                "type": "button",
                "url": "https://example.com/inscription",
                "label_fr": "S'inscrire",
                "label_en": "Register",
            },
        ],
        **extra,
    }
    return Campaign.objects.create(name=name, segment=segment, **values)


@pytest.fixture
def segment(db):
    return members_segment()


@pytest.fixture
def english():
    from django.utils import translation

    with translation.override("en"):
        yield
