"""Run by ``test_crash.py`` in a separate process (real settings, file database): N members, a
segment of them, a campaign, and sending started (the job lands in the database task queue)."""

from __future__ import annotations

import sys

import django

django.setup()

from tribu.accounts.models import User  # noqa: E402
from tribu.campaigns import actions  # noqa: E402
from tribu.campaigns.models import Campaign  # noqa: E402
from tribu.segments.models import Segment  # noqa: E402


def main(count: int) -> None:
    User.objects.bulk_create(
        [User(email=f"crash{i}@example.org", display_name=f"Crash {i}", role="member") for i in range(count)],
        batch_size=1000,
    )
    segment = Segment.objects.create(
        name="All", filters={"match": "all", "rules": [{"field": "role", "op": "in", "value": ["member"]}]}
    )
    campaign = Campaign.objects.create(
        name="Crash",
        segment=segment,
        subject_fr="Bonjour {{ first_name }}",
        rate_per_second=0,
        blocks=[{"type": "text", "text_fr": "Lisez [ceci](https://example.com/a).", "text_en": ""}],
    )
    actions.start_sending(None, campaign)
    print(campaign.pk)


if __name__ == "__main__":
    main(int(sys.argv[1]))
