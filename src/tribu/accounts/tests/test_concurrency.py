"""Members saving at the same moment: a new skill typed by several people at once becomes one tag,
and two saves of the same profile both land (rows are locked, nothing is half-written)."""

from __future__ import annotations

import threading

import pytest

from tribu.accounts import actions
from tribu.accounts.models import Profile, Tag


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
def test_a_new_skill_typed_by_several_members_at_once_becomes_one_tag(users_by_role, monkeypatch):
    monkeypatch.setattr("tribu.directory.index.refresh_on_commit", lambda ids: None)
    people = list(users_by_role.values())
    errors = run_together([
        (lambda person=person: actions.update_profile(person, person, {"skills": ["Vitrail au plomb"]}))
        for person in people
    ])
    assert errors == []
    assert Tag.objects.filter(kind="skill").count() == 1
    tag = Tag.objects.get()
    assert tag.slug == "vitrail-au-plomb"
    assert set(tag.skilled_profiles.values_list("user_id", flat=True)) == {p.pk for p in people}


@pytest.mark.django_db(transaction=True)
def test_two_saves_of_the_same_profile_at_once_both_land(mia, monkeypatch):
    monkeypatch.setattr("tribu.directory.index.refresh_on_commit", lambda ids: None)
    errors = run_together([
        lambda: actions.update_profile(mia, mia, {"job_title": "Vannière"}),
        lambda: actions.update_profile(mia, mia, {"city": "Redon"}),
    ])
    assert errors == []
    profile = Profile.objects.get(user=mia)
    assert (profile.job_title, profile.city) == ("Vannière", "Redon")
