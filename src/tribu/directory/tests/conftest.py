"""Directory test data: members built directly with the ORM, then indexed (as the profile,
membership and company actions will do through ``refresh_on_commit``)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import make_user

_seq = itertools.count(1)


def tag(kind: str, name: str):
    from django.utils.text import slugify

    from tribu.accounts.models import Tag

    return Tag.objects.get_or_create(kind=kind, slug=slugify(name), defaults={"name": name})[0]


def tier(slug: str, name: str = ""):
    from tribu.memberships.models import Tier

    return Tier.objects.get_or_create(slug=slug, defaults={"name_fr": name or slug, "name_en": name or slug})[0]


def company(name: str):
    from django.utils.text import slugify

    from tribu.companies.models import Company

    return Company.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0]


def add_member(
    name: str,
    *,
    user=None,
    role: str = "member",
    job_title: str = "",
    organisation: str = "",
    city: str = "",
    region: str = "",
    country: str = "",
    skills: tuple[str, ...] = (),
    interests: tuple[str, ...] = (),
    hidden: bool = False,
    visibility: dict | None = None,
    employer=None,
    tier_obj=None,
    custom: dict | None = None,
    joined_days_ago: int | None = None,
    active_days_ago: int | None = None,
    is_active: bool = True,
    index: bool = True,
):
    """A member with a profile (and optionally skills, a company, a tier, custom answers), indexed."""
    from tribu.accounts.models import CustomFieldValue, Profile
    from tribu.companies.models import CompanyMember
    from tribu.directory.index import refresh
    from tribu.memberships.models import Membership

    if user is None:
        user = make_user(f"m{next(_seq)}@example.org", role, name)
    now = timezone.now()
    changed = []
    if joined_days_ago is not None:
        user.date_joined = now - timedelta(days=joined_days_ago)
        changed.append("date_joined")
    if not is_active:
        user.is_active = False
        changed.append("is_active")
    if changed:
        user.save(update_fields=changed)
    profile, _ = Profile.objects.update_or_create(
        user=user,
        defaults={
            "job_title": job_title,
            "organisation": organisation,
            "city": city,
            "region": region,
            "country": country,
            "hidden_from_directory": hidden,
            "field_visibility": visibility or {},
            "last_active_at": now - timedelta(days=active_days_ago) if active_days_ago is not None else None,
        },
    )
    profile.skills.set([tag("skill", s) for s in skills])
    profile.interests.set([tag("interest", s) for s in interests])
    if employer is not None:
        CompanyMember.objects.update_or_create(user=user, defaults={"company": employer})
    if tier_obj is not None:
        Membership.objects.create(user=user, tier=tier_obj, status="active")
    for field, value in (custom or {}).items():
        CustomFieldValue.objects.update_or_create(user=user, field=field, defaults={"value": value})
    if index:
        refresh([user.pk])
    return user


def custom_field(key: str, kind: str = "single_choice", *, visibility: str = "members", directory_filter=True,
                 choices=None):
    from tribu.accounts.models import CustomField

    return CustomField.objects.create(
        key=key, kind=kind, label_fr=key.title(), label_en=key.title(), visibility=visibility,
        directory_filter=directory_filter, choices=choices or [],
    )


@pytest.fixture
def indexed_roles(users_by_role):
    """The named users (alice … gina) with profiles and directory entries."""
    from tribu.directory.index import refresh

    refresh([u.pk for u in users_by_role.values()])
    return users_by_role
