"""Seats: a company membership on a tier with seats caps how many members can be attached, even
when two people take the last seat at the same moment."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse

from tribu.companies import actions
from tribu.companies.models import CompanyMember

from .conftest import attach, give_seats, make_company, member


def test_the_team_cannot_attach_beyond_the_seats(client, bob, carla, cole, forge):
    give_seats(forge, 2)
    third = member("Troisième")
    client.force_login(bob)
    response = client.post(reverse("companies:attach", args=[forge.slug]), {"email": third.email})
    assert response.status_code == 400
    assert "Les 2 places de La Forge du Léon sont toutes prises" in response.content.decode()
    assert not CompanyMember.objects.filter(user=third).exists()


def test_accepting_an_invitation_for_a_full_company_is_refused_and_changes_nothing(client, carla, cole, forge):
    give_seats(forge, 2)
    invitation = actions.invite_colleagues(carla, forge, ["neo@example.org"])[0]
    neo = member("Neo", email="neo@example.org")
    client.force_login(neo)
    response = client.post(reverse("companies:accept", args=[invitation.token]))
    assert response.status_code == 400
    assert "places de La Forge du Léon sont toutes prises" in response.content.decode()
    assert not CompanyMember.objects.filter(user=neo).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    # A colleague leaves: the seat is free and the same link now works.
    client.force_login(carla)
    client.post(reverse("companies:remove_member", args=[forge.slug, cole.pk]))
    client.force_login(neo)
    assert client.post(reverse("companies:accept", args=[invitation.token])).status_code == 302
    assert CompanyMember.objects.get(user=neo).company == forge


def test_the_english_message_counts_the_seats(bob, carla, forge, settings):
    from django.utils import translation

    give_seats(forge, 1)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        actions.attach_member(bob, forge, member("Neo"))
    assert "The only seat of La Forge du Léon is taken" in refused.value.messages[0]
    give_seats(make_company("Grande Menuiserie"), 5)


def test_all_five_seats_are_taken(bob):
    from django.utils import translation

    company = make_company("Grande Menuiserie")
    give_seats(company, 5)
    for n in range(5):
        actions.attach_member(bob, company, member(f"M{n}"))
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        actions.attach_member(bob, company, member("Sixième"))
    assert "All 5 seats of Grande Menuiserie are taken" in refused.value.messages[0]


def test_an_expired_or_pending_membership_sets_no_limit_and_a_company_without_one_still_takes_members(bob):
    company = make_company("Sans Adhésion")
    give_seats(company, 1, status="expired")
    for n in range(3):
        actions.attach_member(bob, company, member(f"Libre {n}"))
    assert CompanyMember.objects.filter(company=company).count() == 3


def test_contacts_and_the_team_see_seats_used_and_the_membership_end(client, carla, cole, forge, mia):
    from datetime import date

    give_seats(forge, 5, ends_on=date(2027, 6, 30))
    client.force_login(carla)
    page = client.get(reverse("companies:people", args=[forge.slug])).content.decode()
    assert "2 places prises sur 5" in page
    assert "30 juin 2027" in page
    detail = client.get(reverse("companies:detail", args=[forge.slug])).content.decode()
    assert "2 places prises sur 5" in detail and "30 juin 2027" in detail
    client.force_login(mia)
    detail = client.get(reverse("companies:detail", args=[forge.slug])).content.decode()
    assert "places prises" not in detail and "2027" not in detail


def test_the_api_shows_seats_to_contacts_only(client, carla, cole, forge, mia):
    give_seats(forge, 5)
    client.force_login(carla)
    seats = client.get(f"/api/v1/companies/{forge.slug}").json()["seats"]
    assert seats["used"] == 2 and seats["total"] == 5 and seats["tier"] == "Entreprise"
    client.force_login(mia)
    assert client.get(f"/api/v1/companies/{forge.slug}").json()["seats"] is None


@pytest.mark.django_db(transaction=True)
def test_two_people_accepting_for_the_last_seat_at_once_only_one_gets_it():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter: SQLite serialises every write anyway")
    company = make_company("Dernière Place")
    contact = member("Contact")
    attach(contact, company, contact=True)
    give_seats(company, 2)  # the contact holds one: one seat left
    invitations = actions.invite_colleagues(contact, company, ["a@example.org", "b@example.org"])
    people = [member("A", email="a@example.org"), member("B", email="b@example.org")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(user, token):
        try:
            barrier.wait(timeout=10)
            actions.accept_invitation(user, token)
            outcomes.append("joined")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(p, i.token)) for p, i in zip(people, invitations, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(o == "joined" for o in outcomes) == [False, True]
    assert CompanyMember.objects.filter(company=company).count() == 2


def test_the_first_members_by_arrival_are_the_ones_a_seat_covers(bob, carla, cole, forge):
    from tribu.companies.queries import covered_user_ids

    assert covered_user_ids(forge) is None  # no seat-bearing membership: no tier from the company
    membership = give_seats(forge, 1)
    assert covered_user_ids(forge) == {carla.pk}
    membership.status = "expired"
    membership.save()
    assert covered_user_ids(forge) is None


def test_a_company_holding_a_current_membership_cannot_be_deleted(client, bob, forge):
    give_seats(forge, 5)
    client.force_login(bob)
    response = client.post(reverse("companies:delete", args=[forge.slug]), {"confirm": "on"})
    assert response.status_code == 400
    assert "adhésion en cours" in response.content.decode()
    assert client.delete(f"/api/v1/companies/{forge.slug}").status_code == 409
    forge.refresh_from_db()


def test_contacts_do_not_see_their_colleagues_email_addresses_the_team_does(client, bob, carla, cole, forge):
    client.force_login(carla)
    assert cole.email not in client.get(reverse("companies:people", args=[forge.slug])).content.decode()
    client.force_login(bob)
    assert cole.email in client.get(reverse("companies:people", args=[forge.slug])).content.decode()
