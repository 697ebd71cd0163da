"""Several runs of the same campaign at once (two workers, or a resume while a run is still going):
claims never overlap, so each recipient gets one message. Real threads with their own connections."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import close_old_connections, connection

from tribu.campaigns import actions, sending
from tribu.campaigns.models import Recipient, RecipientStatus, Status

from .conftest import make_campaign, make_members, members_segment


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_each_recipient_exactly_once(smtp_server, settings):
    settings.TRIBU_CAMPAIGN_BATCH_SIZE = 10
    members = make_members(150)
    campaign = make_campaign(segment=members_segment(), status=Status.SENDING)
    Recipient.objects.bulk_create(
        [Recipient(campaign=campaign, user=m, email=m.email, language="fr") for m in members]
    )
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def worker() -> None:
        try:
            barrier.wait()
            sending.run(campaign.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    ids = Counter(m["Message-ID"] for m in smtp_server.received)
    assert len(ids) == 150 and max(ids.values()) == 1
    assert Recipient.objects.filter(campaign=campaign, status=RecipientStatus.SENT).count() == 150
    campaign.refresh_from_db()
    assert campaign.status == Status.SENT


@pytest.mark.django_db(transaction=True)
def test_starting_the_same_campaign_twice_at_once_freezes_its_audience_once(bob, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_members(20)
    campaign = make_campaign(segment=members_segment())
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def start() -> None:
        try:
            barrier.wait()
            actions.start_sending(bob, campaign)
            outcomes.append("started")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["ValidationError", "started"]
    assert Recipient.objects.filter(campaign=campaign).count() == 20
