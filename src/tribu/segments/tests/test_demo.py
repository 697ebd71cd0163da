"""The demo step creates the team's everyday segments once, each counting real demo members."""

from __future__ import annotations

import pytest
from django.utils import timezone
from faker import Faker

from tribu.core import demo as core_demo
from tribu.memberships import demo as memberships_demo
from tribu.segments import demo, queries
from tribu.segments.models import Segment


@pytest.mark.django_db
def test_the_demo_creates_segments_once():
    now = timezone.now()
    core_demo.populate(Faker("fr_FR"), now)
    memberships_demo.populate(Faker("fr_FR"), now)
    assert demo.populate(Faker("fr_FR"), now) == f"{len(demo.SEGMENTS)} segments"
    counts = {s.name: queries.count(s) for s in Segment.objects.all()}
    assert counts["Membres Premium"] > 0 and counts["Adhésions à renouveler (30 jours)"] > 0
    assert demo.populate(Faker("fr_FR"), now) == "0 segments"
    assert Segment.objects.count() == len(demo.SEGMENTS)
