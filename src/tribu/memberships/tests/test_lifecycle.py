"""The lifecycle job: grace, expiry and the end of trials happen by themselves, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tribu.core.models import Activity
from tribu.core.schedule import JOBS
from tribu.memberships import jobs, lifecycle
from tribu.memberships.models import Membership

from .conftest import body_of, make_membership, subject_of

pytestmark = pytest.mark.django_db


def days(n):
    return timezone.localdate() + timedelta(days=n)


def run_job(capture):
    with capture(execute=True):
        return jobs.membership_lifecycle()


def test_the_job_is_registered_to_run_at_least_hourly():
    job = JOBS["memberships.lifecycle"]
    assert job.func is jobs.membership_lifecycle and job.every <= timedelta(hours=1)


def test_an_ended_membership_enters_grace_then_expires_when_the_grace_is_over(mia, premium):
    m = make_membership(user=mia, tier=premium, ends_on=days(-1))  # 15 days of grace by default
    lifecycle.run()
    m.refresh_from_db()
    assert m.status == "grace"
    lifecycle.run(today=days(14))
    m.refresh_from_db()
    assert m.status == "grace"
    lifecycle.run(today=days(15))
    m.refresh_from_db()
    assert m.status == "expired"
    verbs = list(Activity.objects.filter(target_id=str(m.pk)).order_by("pk").values_list("verb", "actor"))
    assert verbs == [("membership.grace_started", None), ("membership.expired", None)]


def test_without_grace_days_it_expires_at_once(mia, premium):
    premium.grace_days = 0
    premium.save()
    m = make_membership(user=mia, tier=premium, ends_on=days(-1))
    lifecycle.run()
    m.refresh_from_db()
    assert m.status == "expired"


def test_memberships_still_running_or_without_end_are_left_alone(mia, anna, premium, membre):
    running = make_membership(user=mia, tier=premium, ends_on=days(0))
    endless = make_membership(user=anna, tier=membre, ends_on=None)
    assert lifecycle.run() == {"grace": 0, "expired": 0, "trials": 0, "downgraded": 0}
    assert {m.status for m in Membership.objects.filter(pk__in=[running.pk, endless.pk])} == {"active"}


def test_a_trial_ending_moves_the_guest_to_the_next_tier_and_emails_them_once(
    gina, invite, membre, smtp_server, django_capture_on_commit_callbacks
):
    invite.downgrade_to = membre
    invite.save()
    trial = make_membership(user=gina, tier=invite, ends_on=days(-1), is_trial=True)

    run_job(django_capture_on_commit_callbacks)
    run_job(django_capture_on_commit_callbacks)

    trial.refresh_from_db()
    assert trial.status == "expired"
    successor = Membership.objects.get(user=gina, status="active")
    assert successor.tier == membre and successor.starts_on == days(0)
    assert successor.ends_on == days(0).replace(month=12, day=31)
    gina.refresh_from_db()
    assert gina.role == "member"  # the trial led to a member tier
    assert [m["To"] for m in smtp_server.received] == ["gina@example.org"]
    mail = smtp_server.received[0]
    assert subject_of(mail) == "Votre essai « Invité » est terminé"
    assert "Vous avez désormais l'adhésion « Membre »." in body_of(mail)
    assert Activity.objects.filter(verb="membership.trial_ended").count() == 1
    assert Activity.objects.filter(verb="membership.downgraded", actor=None).count() == 1
    assert lifecycle.run() == {"grace": 0, "expired": 0, "trials": 0, "downgraded": 0}


def test_a_trial_ending_with_nowhere_to_go_leaves_the_guest_without_membership(
    gina, invite, smtp_server, django_capture_on_commit_callbacks
):
    trial = make_membership(user=gina, tier=invite, ends_on=days(-1), is_trial=True)
    run_job(django_capture_on_commit_callbacks)
    run_job(django_capture_on_commit_callbacks)
    trial.refresh_from_db()
    assert trial.status == "expired"
    assert not Membership.objects.filter(user=gina, status__in=["active", "pending", "grace"]).exists()
    gina.refresh_from_db()
    assert gina.role == "guest"
    assert len(smtp_server.received) == 1
    assert "Pour garder votre accès, choisissez une formule" in body_of(smtp_server.received[0])
    assert "/memberships/mine/" in body_of(smtp_server.received[0])


def test_two_runs_make_one_transition_each(mia, anna, premium):
    make_membership(user=mia, tier=premium, ends_on=days(-1))
    make_membership(user=anna, tier=premium, ends_on=days(-40))
    first = lifecycle.run()
    second = lifecycle.run()
    assert first == {"grace": 1, "expired": 1, "trials": 0, "downgraded": 0}
    assert second == {"grace": 0, "expired": 0, "trials": 0, "downgraded": 0}
    assert Activity.objects.filter(verb__startswith="membership.").count() == 2


def test_a_transition_already_made_by_another_run_is_skipped(mia, premium, monkeypatch):
    """Two schedulers read the same candidates; the conditional update lets only one act."""
    m = make_membership(user=mia, tier=premium, ends_on=days(-1))
    real = lifecycle._rows

    def stale_rows(**filters):
        rows = real(**filters)
        Membership.objects.filter(pk=m.pk, status="active").update(status="grace")  # the other run won
        return rows

    monkeypatch.setattr(lifecycle, "_rows", stale_rows)
    assert lifecycle.run()["grace"] == 0
    assert not Activity.objects.filter(verb="membership.grace_started").exists()
