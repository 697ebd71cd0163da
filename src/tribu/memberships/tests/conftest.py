"""Factories for tiers, memberships and companies (keyword-only), on top of the named users."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone


def make_tier(slug: str, *, name_fr: str = "", name_en: str = "", price_cents: int = 0, period: str = "yearly",
              **extra: Any):
    from tribu.memberships.models import Tier

    return Tier.objects.create(slug=slug, name_fr=name_fr or slug.capitalize(), name_en=name_en,
                               price_cents=price_cents, period=period, **extra)


def make_membership(*, tier, user=None, company=None, status: str = "active", starts_on: date | None = None,
                    ends_on: date | None = None, is_trial: bool = False):
    from tribu.memberships.models import Membership

    today = timezone.localdate()
    return Membership.objects.create(user=user, company=company, tier=tier, status=status,
                                     starts_on=starts_on or today - timedelta(days=10),
                                     ends_on=ends_on, is_trial=is_trial)


def make_company(name: str):
    from django.utils.text import slugify

    from tribu.companies.models import Company

    return Company.objects.create(name=name, slug=slugify(name))


def attach(company, user, *, minutes_ago: int, contact: bool = False):
    from tribu.companies.models import CompanyMember

    row = CompanyMember.objects.create(company=company, user=user, is_contact=contact)
    CompanyMember.objects.filter(pk=row.pk).update(joined_at=timezone.now() - timedelta(minutes=minutes_ago))
    return row


@pytest.fixture
def membre(db):
    return make_tier("membre", name_fr="Membre", name_en="Member", price_cents=6000, period="calendar_year",
                     self_selectable=True)


@pytest.fixture
def premium(db):
    return make_tier("premium", name_fr="Premium", name_en="Premium", price_cents=12000, period="yearly",
                     self_selectable=True)


@pytest.fixture
def entreprise(db):
    return make_tier("entreprise", name_fr="Entreprise", name_en="Company", price_cents=45000, seats=2)


@pytest.fixture
def invite(db, membre):
    return make_tier("invite", name_fr="Invité", name_en="Guest", period="free", is_guest=True, trial_days=30,
                     self_selectable=True, grace_days=0)


@pytest.fixture
def french(settings):
    from django.utils import translation

    with translation.override("fr"):
        yield


def body_of(message) -> str:
    parts = list(message.walk()) if message.is_multipart() else [message]
    return "\n".join(
        p.get_payload(decode=True).decode() for p in parts if not p.is_multipart() and p.get_payload(decode=True)
    )


def subject_of(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))
