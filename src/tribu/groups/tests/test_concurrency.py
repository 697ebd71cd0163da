"""Check-then-act races on PostgreSQL: threads with their own connections hit the same rows at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tribu.groups import actions, invitations, policies
from tribu.groups.models import Group, GroupMembership, JoinRequest

from .conftest import add_to, make_group

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _fresh(user):
    policies.forget(user)
    return user


def test_joining_twice_at_once_makes_one_membership_and_counts_it_once(anna, mia):
    group = make_group("Club", owner=anna)
    results = _race(*[lambda: actions.join_group(_fresh(type(mia).objects.get(pk=mia.pk)), group)
                      for _ in range(4)])
    assert sum(isinstance(r, GroupMembership) for r in results) == 1
    assert all(isinstance(r, GroupMembership | actions.AlreadyMember) for r in results)
    assert GroupMembership.objects.filter(group=group, user=mia).count() == 1
    assert Group.objects.get(pk=group.pk).member_count == 2


def test_two_animators_answering_the_same_request_at_once_decide_it_once(anna, mia, bob):
    group = make_group("Commission", visibility="moderated", owner=anna)
    add_to(group, bob, "animator")
    join_request = actions.request_to_join(mia, group, [])
    results = _race(
        lambda: actions.decide_request(anna, group, join_request.pk, approve=True),
        lambda: actions.decide_request(bob, group, join_request.pk, approve=False),
    )
    assert sum(isinstance(r, JoinRequest) for r in results) == 1
    status = JoinRequest.objects.get(pk=join_request.pk).status
    assert GroupMembership.objects.filter(group=group, user=mia).exists() == (status == "approved")


def test_one_invitation_link_used_twice_at_once_lets_one_person_in(anna, mia, gina):
    group = make_group("Comité", visibility="private", owner=anna)
    token = invitations.invite(anna, group, ["mia@example.org"]).sent[0].token
    results = _race(lambda: invitations.accept(mia, token), lambda: invitations.accept(gina, token))
    assert sum(isinstance(r, GroupMembership) for r in results) == 1
    assert GroupMembership.objects.filter(group=group).count() == 2
