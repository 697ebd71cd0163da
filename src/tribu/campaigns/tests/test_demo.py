"""The demo step: a sent campaign with statistics and a newsletter draft, once."""

from __future__ import annotations

import pytest
from django.utils import timezone
from faker import Faker

from tribu.campaigns import demo, queries
from tribu.campaigns.models import Campaign
from tribu.core import demo as core_demo


@pytest.mark.django_db
def test_the_demo_creates_a_sent_campaign_with_statistics_once(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    core_demo.populate(Faker("fr_FR"), now)
    assert demo.populate(Faker("fr_FR"), now).startswith("2 campaigns")
    sent = Campaign.objects.get(name=demo.NAME)
    stats = queries.statistics(sent)
    assert stats["sent"] > 20 and 0 < stats["opened"] < stats["sent"] and stats["clicked"] <= stats["opened"]
    assert len(stats["timeline"]) > 1
    assert demo.populate(Faker("fr_FR"), now) == "campaigns already there"
    assert Campaign.objects.count() == 2
