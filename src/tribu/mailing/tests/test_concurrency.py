"""Things that arrive at the same moment: the same bounce reported twice (webhook and SMTP), two
unsubscribe clicks, two admins saving the same email. Real threads with their own connections."""

from __future__ import annotations

import threading

import pytest

from tribu.mailing import actions, consent
from tribu.mailing.models import EmailSuppression, TemplateOverride
from tribu.privacy.actions import record_consent
from tribu.privacy.models import Consent


def run_together(jobs: list) -> list[BaseException]:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job) -> None:
        from django.db import connection

        barrier.wait()
        try:
            job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_the_same_bounce_reported_four_times_at_once_is_one_suppression(db):
    errors = run_together([
        (lambda n=n: actions.suppress("Gone@Example.org", "hard_bounce", detail=f"report {n}", source="test"))
        for n in range(4)
    ])
    assert errors == []
    assert EmailSuppression.objects.filter(email="gone@example.org", lifted_at__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_one_click_unsubscribes_at_once_withdraw_the_consent_once(mia):
    record_consent(mia, consent.NEWSLETTER, True)
    errors = run_together([lambda: actions.unsubscribe(mia, consent.NEWSLETTER) for _ in range(3)])
    assert errors == []
    assert Consent.objects.filter(user=mia, kind="newsletter", granted=False).count() == 1
    assert consent.may_send(mia, consent.NEWSLETTER) is False


@pytest.mark.django_db(transaction=True)
def test_two_admins_saving_the_same_email_at_once_leave_one_version(alice, db):
    from conftest import make_user

    carl = make_user("carl@example.org", "admin", "Carl Admin")
    key = "imports/emails/invitation"
    errors = run_together([
        lambda: actions.save_override(alice, key, "fr", "Objet A", "Corps A {{ first_name }}"),
        lambda: actions.save_override(carl, key, "fr", "Objet B", "Corps B {{ first_name }}"),
    ])
    assert errors == []
    [row] = TemplateOverride.objects.filter(template=key, language="fr")
    assert (row.subject, row.body[:6]) in {("Objet A", "Corps "), ("Objet B", "Corps ")}
