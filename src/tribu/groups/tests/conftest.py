"""Factories for groups (keyword-only), on top of the named users and the tier factories."""

from __future__ import annotations

from typing import Any

import pytest

from tribu.memberships.tests.conftest import make_membership, make_tier  # noqa: F401


def make_group(name: str, *, visibility: str = "public", parent: Any = None, owner: Any = None, tiers: Any = (),
               restriction_mode: str = "teaser", archived: bool = False, guests: bool = False, type: Any = None,
               questions: Any = (), welcome: str = ""):
    """A group placed in the tree like the action places it, without the action's permission check."""
    from django.utils import timezone
    from django.utils.text import slugify

    from tribu.groups.actions import _place
    from tribu.groups.models import Group, GroupMembership

    group = Group.objects.create(name=name, slug=slugify(name), visibility=visibility, parent=parent,
                                 open_to_guests=guests, type=type, join_questions=list(questions),
                                 welcome_message=welcome, restriction_mode=restriction_mode,
                                 archived_at=timezone.now() if archived else None)
    _place(group, parent)
    group.save()
    if tiers:
        group.required_tiers.set(list(tiers))
        from tribu.groups.queries import forget_restricted

        forget_restricted()
    if owner is not None:
        GroupMembership.objects.create(group=group, user=owner, role="owner")
        Group.objects.filter(pk=group.pk).update(member_count=1)
        group.member_count = 1
    return group


def add_to(group: Any, user: Any, role: str = "member"):
    from django.db.models import F

    from tribu.groups.models import Group, GroupMembership

    row = GroupMembership.objects.create(group=group, user=user, role=role)
    Group.objects.filter(pk=group.pk).update(member_count=F("member_count") + 1)
    from tribu.groups.policies import forget

    forget(user)
    return row


@pytest.fixture
def club(db, anna):
    """A public club animated by Anna (its owner)."""
    return make_group("Club photo", owner=anna, welcome="Bienvenue {member} au club !")


@pytest.fixture
def commission(db, anna):
    """A moderated commission with one question, owned by Anna."""
    return make_group("Commission numérique", visibility="moderated", owner=anna,
                      questions=["Pourquoi voulez-vous rejoindre la commission ?"])


@pytest.fixture
def secret(db, anna):
    """A private committee owned by Anna."""
    return make_group("Comité secret", visibility="private", owner=anna)
