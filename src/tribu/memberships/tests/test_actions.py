"""Membership actions by the team and by the member: each one recorded in the membership's history,
with its reason, and told to the member."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tribu.core.models import Activity, Notification
from tribu.memberships import actions, queries
from tribu.memberships.models import Membership, MembershipStatus

from .conftest import attach, body_of, make_company, make_membership, subject_of

pytestmark = pytest.mark.django_db


def sentences(membership):
    return [e.text for e in queries.history([membership.pk])]


def test_staff_grant_a_membership_with_a_reason_that_the_history_keeps(bob, mia, membre, french):
    m = actions.grant(bob, user=mia, tier=membre, reason="Chèque reçu le 20/11")
    assert m.status == MembershipStatus.ACTIVE
    assert m.starts_on == timezone.localdate()
    assert m.ends_on == date(m.starts_on.year, 12, 31)
    activity = Activity.objects.get(verb="membership.granted")
    assert activity.actor == bob and activity.data["reason"] == "Chèque reçu le 20/11"
    assert activity.data["new_status"] == "active" and activity.data["ends_on"] == m.ends_on.isoformat()
    [text] = sentences(m)
    assert text.startswith("Bob Staff a attribué l'adhésion « Membre »")
    assert "Chèque reçu le 20/11" in text


@pytest.mark.parametrize("role", ["animator", "member", "guest"])
def test_only_the_team_grants_memberships(users_by_role, role, mia, membre):
    with pytest.raises(PermissionDenied):
        actions.grant(users_by_role[role], user=mia, tier=membre, reason="why not")
    assert not Membership.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required(bob, mia, membre, reason):
    with pytest.raises(ValidationError) as caught:
        actions.grant(bob, user=mia, tier=membre, reason=reason)
    assert "reason" in caught.value.error_dict
    assert not Membership.objects.exists()


def test_a_second_grant_is_refused_while_one_is_current(bob, mia, membre, premium):
    actions.grant(bob, user=mia, tier=membre, reason="first")
    with pytest.raises(ValidationError, match="déjà une adhésion en cours"):
        actions.grant(bob, user=mia, tier=premium, reason="second")
    assert Membership.objects.filter(user=mia).count() == 1


def test_extend_by_one_period_then_to_a_date(bob, mia, premium):
    m = actions.grant(bob, user=mia, tier=premium, reason="paid", starts_on=date(2026, 3, 1))
    assert m.ends_on == date(2027, 2, 28)
    m = actions.extend(bob, m, reason="renewed")
    assert m.ends_on == date(2028, 2, 29)
    m = actions.extend(bob, m, reason="goodwill", to=date(2028, 6, 30))
    assert m.ends_on == date(2028, 6, 30)
    with pytest.raises(ValidationError):
        actions.extend(bob, m, reason="backwards", to=date(2028, 1, 1))
    assert [a.data["ends_on"] for a in Activity.objects.filter(verb="membership.extended").order_by("pk")] == [
        "2028-02-29", "2028-06-30"]


def test_extending_a_membership_in_grace_makes_it_active_again(bob, mia, premium):
    m = make_membership(user=mia, tier=premium, status="grace", ends_on=timezone.localdate() - timedelta(days=3))
    m = actions.extend(bob, m, reason="late payment")
    assert m.status == MembershipStatus.ACTIVE and m.ends_on > timezone.localdate()


def test_change_tier_keeps_the_dates_and_records_both_tiers(bob, mia, membre, premium, french):
    m = actions.grant(bob, user=mia, tier=membre, reason="paid")
    end = m.ends_on
    m = actions.change_tier(bob, m, tier=premium, reason="upgrade")
    assert m.tier == premium and m.ends_on == end
    assert "de « Membre » à « Premium »" in sentences(m)[0]


def test_cancel_ends_the_membership_and_frees_the_place_for_a_new_one(bob, mia, membre):
    m = actions.grant(bob, user=mia, tier=membre, reason="paid")
    m = actions.cancel(bob, m, reason="left the association")
    assert m.status == MembershipStatus.CANCELLED and m.cancelled_at is not None
    with pytest.raises(ValidationError):
        actions.cancel(bob, m, reason="again")
    assert actions.grant(bob, user=mia, tier=membre, reason="came back").status == "active"


def test_the_member_is_emailed_and_notified_on_grant_change_and_cancel(
    bob, mia, membre, premium, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        m = actions.grant(bob, user=mia, tier=membre, reason="paid")
    with django_capture_on_commit_callbacks(execute=True):
        actions.change_tier(bob, m, tier=premium, reason="upgrade")
    with django_capture_on_commit_callbacks(execute=True):
        actions.cancel(bob, m, reason="moved away")
    subjects = [subject_of(msg) for msg in smtp_server.received]
    assert [msg["To"] for msg in smtp_server.received] == ["mia@example.org"] * 3
    assert subjects == [
        "Votre adhésion « Membre » est active",
        "Votre adhésion « Premium » a changé",
        "Votre adhésion « Premium » est résiliée",
    ]
    assert "de « Membre » à « Premium »" in body_of(smtp_server.received[1])
    assert "moved away" in body_of(smtp_server.received[2])
    assert Notification.objects.filter(recipient=mia, kind="memberships.changed").count() == 3


def test_a_guest_granted_a_member_tier_becomes_a_member_with_an_audit_entry(bob, gina, membre):
    actions.grant(bob, user=gina, tier=membre, reason="paid")
    gina.refresh_from_db()
    assert gina.role == "member"
    audit = Activity.objects.get(verb="member.role_changed")
    assert audit.audit and audit.actor == bob and audit.data["old"] == "guest" and audit.data["new"] == "member"


def test_a_guest_on_a_guest_tier_stays_a_guest(bob, gina, invite):
    m = actions.grant(bob, user=gina, tier=invite, reason="trial")
    gina.refresh_from_db()
    assert gina.role == "guest" and m.is_trial and m.ends_on == m.starts_on + timedelta(days=29)


def test_the_directory_is_refreshed_for_the_member_or_the_company_people(bob, mia, anna, entreprise, monkeypatch):
    calls = []
    monkeypatch.setattr("tribu.directory.index.refresh_on_commit", lambda ids: calls.append(sorted(ids)))
    actions.grant(bob, user=mia, tier=actions.Tier.objects.create(slug="x", name_fr="X"), reason="r")
    company = make_company("La Forge")
    attach(company, mia, minutes_ago=5)
    attach(company, anna, minutes_ago=3)
    actions.grant(bob, company=company, tier=entreprise, reason="contract")
    assert calls == [[mia.pk], sorted([mia.pk, anna.pk])]


def test_company_tiers_go_to_companies_and_others_to_members(bob, mia, membre, entreprise):
    company = make_company("La Forge")
    with pytest.raises(ValidationError):
        actions.grant(bob, user=mia, tier=entreprise, reason="r")
    with pytest.raises(ValidationError):
        actions.grant(bob, company=company, tier=membre, reason="r")


def test_a_company_membership_emails_its_contacts(bob, mia, anna, entreprise, smtp_server,
                                                   django_capture_on_commit_callbacks):
    company = make_company("La Forge")
    attach(company, mia, minutes_ago=5, contact=True)
    attach(company, anna, minutes_ago=3)
    with django_capture_on_commit_callbacks(execute=True):
        actions.grant(bob, company=company, tier=entreprise, reason="contract")
    assert [m["To"] for m in smtp_server.received] == ["mia@example.org"]


def test_a_member_chooses_a_free_trial_that_starts_at_once(gina, invite):
    m = actions.choose_tier(gina, invite)
    assert m.status == "active" and m.is_trial and m.ends_on == timezone.localdate() + timedelta(days=29)
    Membership.objects.filter(pk=m.pk).update(status="expired")
    with pytest.raises(ValidationError, match="déjà profité de cet essai"):
        actions.choose_tier(gina, invite)


def test_a_paid_tier_chosen_by_the_member_waits_for_the_team(bob, mia, membre, french):
    m = actions.choose_tier(mia, membre)
    assert m.status == "pending" and m.starts_on is None and m.ends_on is None
    assert sentences(m)[0].startswith("Mia Membre a choisi la formule « Membre » (En attente")
    m = actions.activate(bob, m, reason="virement reçu")
    assert m.status == "active" and m.starts_on == timezone.localdate()


def test_a_member_cannot_choose_a_tier_that_is_not_self_selectable(mia, entreprise, premium):
    premium.self_selectable = False
    premium.save()
    for tier in (entreprise, premium):
        with pytest.raises(PermissionDenied):
            actions.choose_tier(mia, tier)
