"""The pages: who may open what (every role), what they show, forms that refuse bad input with a 400,
and bounded queries on the team's list."""

from __future__ import annotations

from datetime import date
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tribu.memberships import actions, queries
from tribu.memberships.models import AreaRestriction, Membership, Tier

from .conftest import attach, make_company, make_membership

pytestmark = pytest.mark.django_db

ROLES = ["admin", "staff", "animator", "member", "guest"]
TEAM = {"admin", "staff"}


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_pages(client, users_by_role, role, membre, mia):
    m = make_membership(user=mia, tier=membre)
    client.force_login(users_by_role[role])
    expected = {
        reverse("memberships:mine"): 200,
        reverse("memberships:manage_tiers"): 200 if role in TEAM else 403,
        reverse("memberships:tier_create"): 200 if role == "admin" else 403,
        reverse("memberships:tier_edit", args=[membre.pk]): 200 if role == "admin" else 403,
        reverse("memberships:manage_memberships"): 200 if role in TEAM else 403,
        reverse("memberships:manage_member", args=[mia.pk]): 200 if role in TEAM else 403,
    }
    for url, status in expected.items():
        assert client.get(url).status_code == status, url
    posts = {
        reverse("memberships:act", args=[m.pk, "cancel"]): 302 if role in TEAM else 403,
        reverse("memberships:tier_archive", args=[membre.pk]): 302 if role == "admin" else 403,
        reverse("memberships:tier_move", args=[membre.pk, "down"]): 302 if role == "admin" else 403,
        reverse("memberships:areas", args=["directory"]): 302 if role == "admin" else 403,
    }
    for url, status in posts.items():
        data = {"cancel-reason": "because", "directory-mode": "teaser"}
        assert client.post(url, data).status_code == status, url
    m.refresh_from_db()
    assert (m.status == "cancelled") == (role in TEAM)


def test_anonymous_visitors_are_sent_to_log_in(client, membre):
    for name in ("memberships:mine", "memberships:manage_tiers", "memberships:manage_memberships"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


def test_my_page_shows_tier_status_dates_history_company_and_choices(client, bob, mia, membre, premium, entreprise):
    m = actions.grant(bob, user=mia, tier=membre, reason="Chèque", starts_on=date(2026, 1, 1))
    company = make_company("La Forge")
    attach(company, mia, minutes_ago=5)
    make_membership(company=company, tier=entreprise, ends_on=date(2027, 6, 30))
    client.force_login(mia)
    page = text(client.get(reverse("memberships:mine")))
    assert "Membre" in page and "Active" in page
    assert "1 janvier 2026" in page and "31 décembre 2026" in page
    assert "Bob Staff a attribué l'adhésion « Membre »" in page and "Chèque" in page
    assert "Adhésion de La Forge" in page and "Une place de l'adhésion de votre société vous couvre." in page
    assert "Premium — 120,00\u00a0€" in page  # another tier, with its price
    assert m.pk


def test_my_page_in_english_writes_prices_and_dates_the_english_way(client, mia, membre, premium):
    mia.language = "en"
    mia.save()
    client.force_login(mia)
    page = text(client.get(reverse("memberships:mine")))
    assert "€60.00" in page and "€120.00" in page
    assert "Choose « Membre »" in page or "Choose « Member »" in page


def test_a_member_chooses_a_paid_tier_and_is_told_payment_comes_later(client, mia, membre):
    client.force_login(mia)
    response = client.post(reverse("memberships:choose", args=[membre.pk]), follow=True)
    assert response.status_code == 200
    page = text(response)
    assert "le paiement en ligne arrive bientôt" in page
    assert Membership.objects.get(user=mia).status == "pending"
    again = client.post(reverse("memberships:choose", args=[membre.pk]))
    assert again.status_code == 400 and Membership.objects.filter(user=mia).count() == 1


def test_a_member_cannot_choose_a_company_tier(client, mia, entreprise):
    client.force_login(mia)
    assert client.post(reverse("memberships:choose", args=[entreprise.pk])).status_code == 403
    assert not Membership.objects.exists()


def test_an_admin_creates_a_tier_with_a_french_price(client, alice):
    client.force_login(alice)
    response = client.post(reverse("memberships:tier_create"), {
        "name_fr": "Bienfaiteur", "name_en": "Benefactor", "price": "250,50", "currency": "eur",
        "period": "calendar_year", "calendar_start_month": "9", "grace_days": "15", "self_selectable": "on",
    })
    assert response.status_code == 302
    tier = Tier.objects.get(name_fr="Bienfaiteur")
    assert (tier.price_cents, tier.currency, tier.calendar_start_month) == (25050, "EUR", 9)
    page = text(client.get(reverse("memberships:manage_tiers")))
    assert "250,50\u00a0€" in page
    edit = text(client.get(reverse("memberships:tier_edit", args=[tier.pk])))
    assert 'value="250,50"' in edit


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"price": "abc"}, "Indiquez un montant comme 60,00."),
        ({"currency": "E1R"}, "code ISO 4217"),
        ({"is_guest": "on"}, "Une formule invité·e a besoin d'une durée d'essai."),
        ({"name_fr": ""}, "Ce champ est obligatoire."),
    ],
)
def test_bad_tier_input_gets_a_400_and_a_message(client, alice, changes, message):
    client.force_login(alice)
    data = {"name_fr": "X", "price": "10", "currency": "EUR", "period": "yearly", "calendar_start_month": "1",
            "grace_days": "0", **changes}
    response = client.post(reverse("memberships:tier_create"), data)
    assert response.status_code == 400
    assert message in text(response)
    assert not Tier.objects.exists()


def test_admins_reorder_and_archive_tiers(client, alice, membre, premium):
    client.force_login(alice)
    client.post(reverse("memberships:tier_move", args=[premium.pk, "up"]))
    assert list(Tier.objects.values_list("slug", flat=True)) == ["premium", "membre"]
    client.post(reverse("memberships:tier_archive", args=[premium.pk]))
    premium.refresh_from_db()
    assert not premium.active
    assert [t.pk for t in queries.selectable_tiers()] == [membre.pk]


def test_admins_restrict_an_area_to_tiers_from_the_tiers_page(client, alice, premium, mia):
    client.force_login(alice)
    response = client.post(reverse("memberships:areas", args=["directory"]),
                           {"directory-required_tiers": [premium.pk], "directory-mode": "hidden"})
    assert response.status_code == 302
    row = AreaRestriction.objects.get(area="directory")
    assert row.restriction_mode == "hidden" and list(row.required_tiers.all()) == [premium]
    client.force_login(mia)
    assert client.get("/members/").status_code == 404


def test_staff_grant_from_the_member_page_and_the_reason_is_required(client, bob, gina, membre):
    client.force_login(bob)
    url = reverse("memberships:grant", args=["member", gina.pk])
    refused = client.post(url, {"grant-tier": membre.pk, "grant-reason": ""})
    assert refused.status_code == 400 and "Ce champ est obligatoire." in text(refused)
    assert not Membership.objects.exists()
    done = client.post(url, {"grant-tier": membre.pk, "grant-reason": "Espèces à l'AG"})
    assert done.status_code == 302
    page = text(client.get(reverse("memberships:manage_member", args=[gina.pk])))
    assert "Bob Staff a attribué l'adhésion « Membre »" in page and "Espèces à l'AG" in page
    assert "Prolonger" in page and "Résilier l'adhésion" in page


def test_staff_extend_change_and_cancel_from_the_page(client, bob, mia, membre, premium):
    m = actions.grant(bob, user=mia, tier=membre, reason="paid", starts_on=date(2026, 1, 1))
    client.force_login(bob)
    act = lambda what, data: client.post(reverse("memberships:act", args=[m.pk, what]), data)  # noqa: E731
    assert act("extend", {"extend-reason": ""}).status_code == 400
    assert act("extend", {"extend-reason": "renewed"}).status_code == 302
    m.refresh_from_db()
    assert m.ends_on == date(2027, 12, 31)
    assert act("change", {"change-tier": premium.pk, "change-reason": "upgrade"}).status_code == 302
    assert act("cancel", {"cancel-reason": "left"}).status_code == 302
    m.refresh_from_db()
    assert (m.tier, m.status) == (premium, "cancelled")
    assert act("cancel", {"cancel-reason": "again"}).status_code == 400


def test_staff_grant_a_company_membership_from_its_page(client, bob, entreprise):
    company = make_company("La Forge")
    client.force_login(bob)
    assert client.get(reverse("memberships:manage_company", args=[company.pk])).status_code == 200
    response = client.post(reverse("memberships:grant", args=["company", company.pk]),
                           {"grant-tier": entreprise.pk, "grant-reason": "contrat 2026"})
    assert response.status_code == 302
    assert Membership.objects.get(company=company).tier == entreprise


def test_the_staff_list_filters_by_tier_status_expiry_and_search(client, bob, mia, anna, gina, membre, premium):
    today = timezone.localdate()
    make_membership(user=mia, tier=membre, ends_on=today.replace(day=1).replace(year=today.year + 1))
    make_membership(user=anna, tier=premium, ends_on=today + timezone.timedelta(days=5))
    make_membership(user=gina, tier=premium, status="expired", ends_on=today - timezone.timedelta(days=50))
    client.force_login(bob)

    def names(**params):
        page = client.get(reverse("memberships:manage_memberships"), params).context["page"]
        return sorted(m.user.email for m in page)

    assert names(tier=premium.pk) == ["anna@example.org", "gina@example.org"]
    assert names(status="expired") == ["gina@example.org"]
    assert names(expiring=7) == ["anna@example.org"]
    assert names(q="Membre") == ["mia@example.org"]
    assert names(q="anna@") == ["anna@example.org"]
    assert names(tier="nonsense", expiring="-3", status="weird") == sorted(
        ["mia@example.org", "anna@example.org", "gina@example.org"])


def _list_queries(client, n, offset, tier):
    from tribu.accounts.models import User

    company = make_company(f"Co {offset}")
    for i in range(n):
        u = User.objects.create_user(email=f"u{offset + i}@example.org", password="x", display_name=f"U {i}")
        make_membership(user=u, tier=tier)
    make_membership(company=company, tier=Tier.objects.get(slug="entreprise"))
    client.get(reverse("memberships:manage_memberships"))  # warm caches (session, community)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("memberships:manage_memberships"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_staff_list_runs_a_bounded_number_of_queries(client, bob, membre, entreprise):
    client.force_login(bob)
    small = _list_queries(client, 3, 0, membre)
    large = _list_queries(client, 40, 100, membre)
    assert small == large
    assert large <= 12


def test_the_staff_find_members_without_a_membership_to_grant_one(client, bob, mia, gina, membre):
    make_membership(user=mia, tier=membre)
    client.force_login(bob)
    page = client.get(reverse("memberships:manage_memberships"), {"q": "example.org"})
    assert [u.email for u in page.context["without"]] == ["bob@example.org", "gina@example.org"]
    assert reverse("memberships:manage_member", args=[gina.pk]) in page.content.decode()
