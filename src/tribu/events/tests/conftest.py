"""Factories for events (keyword-only), on top of the named users and the memberships factories."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tribu.groups.tests.conftest import add_to, make_group  # noqa: F401
from tribu.memberships.tests.conftest import (  # noqa: F401 - fixtures shared with this app
    body_of,
    entreprise,
    french,
    invite,
    make_membership,
    make_tier,
    membre,
    premium,
    subject_of,
)


def make_event(*, title: str = "Afterwork de rentrée", status: str = "published", capacity: int | None = None,
               days: float = 7, hours: float = 2, organiser: Any = None, tiers: list[Any] | None = None,
               **extra: Any):
    from django.utils.text import slugify

    from tribu.events.models import Event

    start = timezone.now() + timedelta(days=days)
    slug = extra.pop("slug", None) or f"{slugify(title)}-{Event.objects.count() + 1}"
    event = Event.objects.create(
        title=title, slug=slug, status=status, capacity=capacity, starts_at=start,
        ends_at=start + timedelta(hours=hours), organiser=organiser, **extra,
    )
    if tiers:
        event.required_tiers.set(tiers)
    return event


@pytest.fixture
def oscar(db):
    """Oscar is a plain member who belongs to no group and holds no tier."""
    from conftest import make_user

    return make_user("oscar@example.org", "member", "Oscar Outsider")


@pytest.fixture
def event(db, anna):
    return make_event(organiser=anna, capacity=10)


@pytest.fixture(autouse=True)
def english(request):
    """Pages and emails follow the community's language (French by default): most tests read them in
    English; modules with ``FRENCH_UI = True`` (the phone journey) keep French."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or getattr(request.module, "FRENCH_UI", False):
        yield
        return
    transactional = bool(marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.utils import translation

    from tribu.core.community import forget_community, get_community

    community = get_community()
    community.default_language = "en"
    community.save()
    forget_community()
    with translation.override("en"):
        yield
