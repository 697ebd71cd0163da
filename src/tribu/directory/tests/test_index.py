from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tribu.directory.index import rebuild, refresh, refresh_on_commit, refresh_stale
from tribu.directory.models import DirectoryEntry, DirectoryTerm
from tribu.directory.text import normalise, search_words

from .conftest import add_member, company, tier


def test_normalise_folds_case_accents_and_ligatures():
    assert normalise("  Ébéniste  d'ART ") == "ebeniste d'art"
    assert normalise("Cœur de Bœuf") == "coeur de boeuf"
    assert normalise("Événement à Orléans") == "evenement a orleans"
    assert search_words("Ébéniste ebeniste  NANTES") == ["ebeniste", "nantes"]


@pytest.mark.django_db
def test_an_entry_holds_what_the_directory_searches():
    acme = company("Acmé Industries")
    gold = tier("gold", "Or")
    user = add_member(
        "Zoé Durand", job_title="Ébéniste", organisation="Atelier Bois", city="Orléans", region="Centre",
        country="France", skills=("Marqueterie",), interests=("Événementiel",), employer=acme, tier_obj=gold,
    )
    entry = DirectoryEntry.objects.get(pk=user.pk)
    assert entry.sort_name == "zoe durand"
    for word in ("zoe", "ebeniste", "atelier bois", "marqueterie", "evenementiel", "orleans", "centre", "acme"):
        assert word in entry.search_members
    kinds = set(DirectoryTerm.objects.filter(entry=entry).values_list("kind", "key"))
    assert ("tier", str(gold.pk)) in kinds
    assert ("company", str(acme.pk)) in kinds
    assert ("region", "Centre") in kinds


@pytest.mark.django_db
def test_staff_only_fields_stay_out_of_the_members_search_text():
    user = add_member("Paul Secret", job_title="Agent double", city="Lyon", visibility={"job_title": "staff"})
    entry = DirectoryEntry.objects.get(pk=user.pk)
    assert "agent double" not in entry.search_members
    assert "agent double" in entry.search_staff
    assert "lyon" in entry.search_members
    assert entry.restricted == ["job_title"]


@pytest.mark.django_db
def test_refresh_on_commit_waits_for_the_commit(django_capture_on_commit_callbacks):
    user = add_member("Léa Martin", index=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refresh_on_commit([user.pk])
    assert not DirectoryEntry.objects.filter(pk=user.pk).exists()
    for callback in callbacks:
        callback()
    assert DirectoryEntry.objects.get(pk=user.pk).name == "Léa Martin"


@pytest.mark.django_db
def test_many_members_are_refreshed_by_a_task(django_capture_on_commit_callbacks):
    from tribu.accounts.models import User

    users = User.objects.bulk_create([User(email=f"bulk{i}@example.org", display_name=f"Bulk {i}") for i in range(250)])
    with django_capture_on_commit_callbacks(execute=True):
        refresh_on_commit([u.pk for u in users])
    assert DirectoryEntry.objects.filter(pk__in=[u.pk for u in users]).count() == 250


@pytest.mark.django_db
def test_rebuild_indexes_everyone_and_forgets_deleted_members(mia, bob):
    assert rebuild() == 2
    assert set(DirectoryEntry.objects.values_list("pk", flat=True)) == {mia.pk, bob.pk}
    bob_id = bob.pk
    DirectoryEntry.objects.filter(pk=mia.pk).update(name="stale")
    bob.delete()
    refresh([bob_id, mia.pk])
    assert DirectoryEntry.objects.get(pk=mia.pk).name == "Mia Membre"
    assert set(DirectoryEntry.objects.values_list("pk", flat=True)) == {mia.pk}


@pytest.mark.django_db
def test_the_rebuild_command_reports_its_count(mia, capsys):
    call_command("directory_rebuild")
    assert "1 directory entries rebuilt" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_safety_net_catches_missing_and_changed_entries(mia):
    from tribu.accounts.models import Profile

    user = add_member("Nina Nouvelle", job_title="Potière")
    DirectoryEntry.objects.filter(pk=user.pk).update(refreshed_at=timezone.now() - timedelta(minutes=1))
    Profile.objects.filter(user=user).update(job_title="Céramiste", updated_at=timezone.now())  # no refresh
    Profile.objects.create(user=mia)
    assert refresh_stale() == 2
    assert "ceramiste" in DirectoryEntry.objects.get(pk=user.pk).search_members
    assert DirectoryEntry.objects.filter(pk=mia.pk).exists()
    assert refresh_stale() == 0
