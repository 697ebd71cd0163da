"""Who holds which tiers (own membership, company seats) and what that opens: decisions, the 403
page with its explanation, the 404 for hidden things, the API's 403, and the team always passing."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tribu.memberships import access, actions
from tribu.memberships.access import Access, TierRequired, decide, effective_tier_ids, effective_tier_ids_many
from tribu.memberships.models import AreaRestriction

from .conftest import attach, make_company, make_membership, make_tier

pytestmark = pytest.mark.django_db


def test_a_member_holds_the_tier_of_their_active_or_grace_membership(mia, anna, gina, membre, premium, invite):
    make_membership(user=mia, tier=membre)
    make_membership(user=anna, tier=premium, status="grace", ends_on=timezone.localdate() - timedelta(days=2))
    make_membership(user=gina, tier=invite, status="pending")
    assert effective_tier_ids(mia) == {membre.pk}
    assert effective_tier_ids(anna) == {premium.pk}
    assert effective_tier_ids(gina) == set()


def test_expired_and_cancelled_memberships_open_nothing(mia, anna, membre):
    make_membership(user=mia, tier=membre, status="expired")
    make_membership(user=anna, tier=membre, status="cancelled")
    assert effective_tier_ids(mia) == set() and effective_tier_ids(anna) == set()


@pytest.fixture
def forge(db, entreprise, alice, bob, anna, mia):
    """A company with a 2-seat membership and three attached people, joined in this order: anna, mia, bob."""
    company = make_company("La Forge")
    attach(company, anna, minutes_ago=30)
    attach(company, mia, minutes_ago=20)
    attach(company, bob, minutes_ago=10)
    make_membership(company=company, tier=entreprise)
    return company


def test_company_seats_cover_the_first_attached_members_only(forge, entreprise, anna, mia, bob, membre):
    make_membership(user=mia, tier=membre)
    assert effective_tier_ids(anna) == {entreprise.pk}
    assert effective_tier_ids(mia) == {entreprise.pk, membre.pk}
    assert effective_tier_ids(bob) == set()  # third attached, two seats
    assert effective_tier_ids_many([anna.pk, mia.pk, bob.pk]) == {
        anna.pk: {entreprise.pk}, mia.pk: {entreprise.pk, membre.pk}, bob.pk: set()}


def test_an_expired_company_membership_covers_nobody(forge, anna):
    forge.memberships.update(status="expired")
    assert effective_tier_ids(anna) == set()


def test_the_tiers_are_read_in_one_query_and_remembered_for_the_request(forge, mia, django_assert_num_queries):
    with django_assert_num_queries(1):
        first = effective_tier_ids(mia)
        second = effective_tier_ids(mia)
    assert first == second


def test_the_many_version_costs_the_same_for_ten_or_fifty_members(forge, entreprise, membre):
    from tribu.accounts.models import User

    def cost(n, offset):
        ids = []
        for i in range(n):
            u = User.objects.create_user(email=f"p{offset + i}@example.org", password="x")
            attach(forge, u, minutes_ago=1)
            make_membership(user=u, tier=membre)
            ids.append(u.pk)
        with CaptureQueriesContext(connection) as ctx:
            effective_tier_ids_many(ids)
        return len(ctx.captured_queries)

    assert cost(10, 0) == cost(50, 100) == 4


@pytest.fixture
def gated(db, premium):
    row = AreaRestriction.objects.create(area="directory", restriction_mode="teaser")
    row.required_tiers.set([premium])
    access.forget_area_rules()
    return row


def test_decisions_for_members_with_and_without_the_tier_and_for_the_team(gated, premium, membre, alice, bob, mia,
                                                                          anna, gina):
    make_membership(user=mia, tier=premium)
    make_membership(user=anna, tier=membre)
    assert decide(mia, gated) == Access.ALLOWED
    assert decide(anna, gated) == Access.TEASER
    assert decide(gina, gated) == Access.TEASER
    assert decide(alice, gated) == Access.ALLOWED and decide(bob, gated) == Access.ALLOWED
    gated.restriction_mode = "hidden"
    assert decide(anna, gated) == Access.HIDDEN
    gated.required_tiers.clear()
    assert decide(anna, AreaRestriction.objects.get(pk=gated.pk)) == Access.ALLOWED


def test_a_company_seat_opens_what_the_company_tier_opens(forge, gated, entreprise, anna, bob):
    gated.required_tiers.add(entreprise)
    gated = AreaRestriction.objects.get(pk=gated.pk)
    assert decide(anna, gated) == Access.ALLOWED
    # bob is staff: he passes anyway; a plain member beyond the seats does not
    from tribu.accounts.models import User

    late = User.objects.create_user(email="late@example.org", password="x", display_name="Late")
    attach(forge, late, minutes_ago=1)
    assert decide(late, gated) == Access.TEASER


def test_check_area_raises_a_403_with_the_explanation_or_a_404(gated, anna, alice):
    with pytest.raises(TierRequired) as caught:
        access.check_area(anna, "directory")
    assert str(caught.value) == "L'annuaire des membres est réservé à certaines formules d'adhésion."
    access.check_area(alice, "directory")
    access.check_area(anna, "companies")  # not restricted
    actions.set_area_restriction(alice, "directory", [gated.required_tiers.get()], "hidden")
    from django.http import Http404

    with pytest.raises(Http404):
        access.check_area(anna, "directory")


def test_area_rules_are_cached_and_forgotten_when_an_admin_changes_them(gated, anna, alice, premium,
                                                                       django_assert_num_queries):
    access.area_rules()
    anna_again = type(anna).objects.get(pk=anna.pk)
    with django_assert_num_queries(1), pytest.raises(TierRequired):  # the member's tiers only
        access.check_area(anna_again, "directory")
    actions.set_area_restriction(alice, "directory", [], "teaser")
    access.check_area(anna_again, "directory")


@pytest.mark.urls("tribu.memberships.tests.urls")
def test_the_403_page_explains_and_names_the_tiers_that_open_it(client, gated, premium, anna, mia):
    make_membership(user=mia, tier=premium)
    client.force_login(anna)
    page = client.get("/test/area/")
    assert page.status_code == 403
    html = unescape(page.content.decode())
    assert "L'annuaire des membres est réservé à certaines formules d'adhésion." in html
    assert "Premium — 120,00\u00a0€" in html
    assert 'href="/memberships/mine/"' in html
    client.force_login(mia)
    assert client.get("/test/area/").content == b"the directory"


@pytest.mark.urls("tribu.memberships.tests.urls")
def test_anonymous_visitors_are_sent_to_log_in_first(client, gated):
    page = client.get("/test/area/")
    assert page.status_code == 302 and "/login" in page["Location"]


@pytest.mark.urls("tribu.memberships.tests.urls")
def test_a_restricted_object_is_a_teaser_403_or_a_hidden_404(client, gated, anna, alice):
    client.force_login(anna)
    page = client.get(f"/test/object/{gated.pk}/")
    assert page.status_code == 403
    assert "Ce contenu est réservé à certaines formules d'adhésion." in unescape(page.content.decode())
    AreaRestriction.objects.filter(pk=gated.pk).update(restriction_mode="hidden")
    assert client.get(f"/test/object/{gated.pk}/").status_code == 404
    client.force_login(alice)
    assert client.get(f"/test/object/{gated.pk}/").status_code == 200


def test_the_api_answers_403_with_the_explanation(client, gated, anna, mia, premium):
    make_membership(user=mia, tier=premium)
    client.force_login(anna)
    response = client.get("/api/v1/directory/members")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "L'annuaire des membres est réservé à certaines formules d'adhésion."
    client.force_login(mia)
    assert client.get("/api/v1/directory/members").status_code == 200


def test_inactive_or_anonymous_people_hold_no_tier(mia, membre):
    from django.contrib.auth.models import AnonymousUser

    make_membership(user=mia, tier=membre)
    mia.is_active = False
    assert effective_tier_ids(mia) == set() and effective_tier_ids(AnonymousUser()) == set()


def test_an_unrelated_tier_does_not_count(mia, gated):
    other = make_tier("other")
    make_membership(user=mia, tier=other)
    assert decide(mia, gated) == Access.TEASER
