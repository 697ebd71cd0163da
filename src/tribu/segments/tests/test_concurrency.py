"""Races on PostgreSQL, each thread with its own connection: deleting a segment while a campaign is
being pointed at it, and two people saving the same segment at once."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from tribu.core.models import Activity
from tribu.segments import actions
from tribu.segments.models import Segment

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks need PostgreSQL"),
]
ROLE_FILTERS = {"match": "all", "rules": [{"field": "role", "op": "in", "value": ["member"]}]}


def _in_thread(target, errors: list) -> threading.Thread:
    def run():
        try:
            target()
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_segment_a_campaign_is_being_pointed_at_is_not_deleted(alice, bob):
    from tribu.campaigns.models import Campaign

    segment = actions.create_segment(alice, name="Rentrée", filters=ROLE_FILTERS)
    attached = threading.Event()
    release = threading.Event()
    errors: list = []
    refused: list = []

    def attach_campaign():
        with transaction.atomic():
            actions.lock_segment(segment.pk)
            Campaign.objects.create(name="Rentrée 2026", segment_id=segment.pk)
            attached.set()
            release.wait(10)

    def delete():
        attached.wait(10)
        try:
            actions.delete_segment(bob, Segment.objects.get(pk=segment.pk))
        except ValidationError as error:
            refused.extend(error.messages)

    threads = [_in_thread(attach_campaign, errors), _in_thread(delete, errors)]
    threading.Timer(1.0, release.set).start()  # the delete is waiting on the campaign's row lock by then
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert refused and ("cannot be deleted" in refused[0] or "ne peut pas être supprimé" in refused[0])
    assert Segment.objects.filter(pk=segment.pk).exists()
    assert Campaign.objects.filter(segment_id=segment.pk).count() == 1
    assert not Activity.objects.filter(verb="segment.deleted").exists()


def test_without_the_lock_the_database_still_keeps_no_campaign_on_a_deleted_segment(alice, bob):
    from tribu.campaigns.models import Campaign

    segment = actions.create_segment(alice, name="Rentrée", filters=ROLE_FILTERS)
    attached = threading.Event()
    deleted = threading.Event()
    errors: list = []

    def attach_campaign():
        with transaction.atomic():
            Campaign.objects.create(name="Rentrée 2026", segment_id=segment.pk)
            attached.set()
            deleted.wait(10)

    def delete():
        attached.wait(10)
        try:
            actions.delete_segment(bob, Segment.objects.get(pk=segment.pk))
        finally:
            deleted.set()

    threads = [_in_thread(attach_campaign, errors), _in_thread(delete, errors)]
    for thread in threads:
        thread.join(20)
    kept = Segment.objects.filter(pk=segment.pk).exists()
    campaigns = Campaign.objects.filter(segment_id=segment.pk).count()
    # whichever commits first wins; the other is refused by the foreign key, nothing dangles
    assert (kept and campaigns == 1) or (not kept and campaigns == 0)
    assert len(errors) == 1 and "foreign key" in str(errors[0])


def test_two_people_saving_the_same_segment_both_land_in_order(alice, bob):
    segment = actions.create_segment(alice, name="Base", filters=ROLE_FILTERS)
    errors: list = []
    names = ["Alice's name", "Bob's name"]
    threads = [
        _in_thread(lambda u=u, n=n: actions.update_segment(u, Segment.objects.get(pk=segment.pk), name=n), errors)
        for u, n in zip([alice, bob], names, strict=True)
    ]
    for thread in threads:
        thread.join(20)
    assert errors == []
    segment.refresh_from_db()
    assert segment.name in names
    assert Activity.objects.filter(verb="segment.updated").count() == 2
    assert connection.vendor == "postgresql"
