"""The demo step: types, a tree of groups of every visibility, members, idempotent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from faker import Faker

from tribu.core.demo import DEMO_DOMAIN
from tribu.groups import demo, queries
from tribu.groups.models import Group, GroupMembership, GroupType

pytestmark = pytest.mark.django_db


def test_the_demo_creates_nested_groups_of_every_visibility_once():
    from tribu.accounts.models import User

    for i in range(3):
        User.objects.create_user(email=f"a{i}@{DEMO_DOMAIN}", password="x", role="animator")
    for i in range(50):
        User.objects.create_user(email=f"m{i}@{DEMO_DOMAIN}", password="x", role="member")
    now = datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Europe/Paris"))
    demo.populate(Faker("fr_FR"), now)
    counts = (GroupType.objects.count(), Group.objects.count(), GroupMembership.objects.count())
    demo.populate(Faker("fr_FR"), now)
    assert (GroupType.objects.count(), Group.objects.count(), GroupMembership.objects.count()) == counts
    assert set(Group.objects.values_list("effective_visibility", flat=True)) == {"public", "moderated", "private"}
    rennes = Group.objects.get(slug="antenne-rennes")
    assert rennes.depth == 2 and rennes.path.startswith(Group.objects.get(slug="reseau-des-antennes").path)
    assert Group.objects.get(slug="commission-numerique-bureau").effective_visibility == "private"
    for group in Group.objects.all():
        assert group.member_count == group.memberships.count() > 0
        assert group.memberships.filter(role="owner").count() == 1
    outsider = User.objects.filter(role="member").exclude(group_memberships__group__visibility="private").first()
    assert not queries.visible_groups(outsider).filter(visibility="private").exists()
