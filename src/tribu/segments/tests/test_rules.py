"""Each rule of the registry picks the members a community manager would expect."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import make_user
from tribu.segments import queries
from tribu.segments.filters import validate

from .conftest import attach, make_company, make_membership

pytestmark = pytest.mark.django_db


def emails(filters) -> set[str]:
    return set(queries.members_of(validate(filters)).values_list("email", flat=True))


def rule(field, op, value=None) -> dict:
    return {"match": "all", "rules": [{"field": field, "op": op, "value": value}]}


def test_tier_rule_finds_own_and_seat_holders_and_skips_lapsed(membre, premium, entreprise):
    own = make_user("own@example.org", "member", "Own")
    lapsed = make_user("lapsed@example.org", "member", "Lapsed")
    grace = make_user("grace@example.org", "member", "Grace")
    seat1 = make_user("seat1@example.org", "member", "Seat one")
    seat2 = make_user("seat2@example.org", "member", "Seat two")
    no_seat = make_user("noseat@example.org", "member", "No seat")
    make_membership(tier=membre, user=own)
    make_membership(tier=membre, user=lapsed, status="expired")
    make_membership(tier=membre, user=grace, status="grace")
    acme = make_company("Acme")
    make_membership(tier=entreprise, company=acme)  # two seats
    attach(acme, seat1, minutes_ago=30)
    attach(acme, seat2, minutes_ago=20)
    attach(acme, no_seat, minutes_ago=10)

    assert emails(rule("tier", "in", [membre.pk])) == {"own@example.org", "grace@example.org"}
    assert emails(rule("tier", "in", [entreprise.pk])) == {"seat1@example.org", "seat2@example.org"}
    assert emails(rule("tier", "in", [premium.pk])) == set()
    assert "lapsed@example.org" in emails(rule("tier", "not_in", [membre.pk, entreprise.pk]))
    assert "noseat@example.org" in emails(rule("tier", "not_in", [membre.pk, entreprise.pk]))


def test_membership_status_rules(membre):
    today = timezone.localdate()
    active = make_user("active@example.org", "member", "Active")
    soon = make_user("soon@example.org", "member", "Soon")
    lapsed = make_user("lapsed@example.org", "member", "Lapsed")
    renewed = make_user("renewed@example.org", "member", "Renewed")
    pending = make_user("pending@example.org", "member", "Pending")
    make_user("never@example.org", "member", "Never")
    make_membership(tier=membre, user=active, ends_on=today + timedelta(days=200))
    make_membership(tier=membre, user=soon, ends_on=today + timedelta(days=10))
    make_membership(tier=membre, user=lapsed, status="expired", ends_on=today - timedelta(days=5))
    make_membership(tier=membre, user=renewed, status="expired", ends_on=today - timedelta(days=400))
    make_membership(tier=membre, user=renewed, ends_on=today + timedelta(days=100))
    make_membership(tier=membre, user=pending, status="pending")

    assert emails(rule("membership_status", "in", ["active"])) == {
        "active@example.org", "soon@example.org", "renewed@example.org"
    }
    assert emails(rule("membership_status", "expiring_within", 30)) == {"soon@example.org"}
    assert emails(rule("membership_status", "in", ["lapsed"])) == {"lapsed@example.org"}
    assert emails(rule("membership_status", "in", ["pending"])) == {"pending@example.org"}
    assert "never@example.org" in emails(rule("membership_status", "in", ["none"]))
    assert "active@example.org" not in emails(rule("membership_status", "in", ["none"]))
    assert emails(rule("membership_status", "in", ["lapsed", "pending"])) == {
        "lapsed@example.org", "pending@example.org"
    }


def test_inactive_accounts_and_empty_addresses_are_never_members(membre):
    gone = make_user("gone@example.org", "member", "Gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    make_membership(tier=membre, user=gone)
    assert emails(rule("tier", "in", [membre.pk])) == set()


def test_count_is_one_query_whatever_the_number_of_rules(membre, premium, django_assert_num_queries):
    filters = validate({"match": "all", "rules": [
        {"field": "tier", "op": "in", "value": [membre.pk, premium.pk]},
        {"field": "membership_status", "op": "expiring_within", "value": 30},
        {"field": "company", "op": "is_not_set"},
        {"field": "activity", "op": "did_at_least", "value": {"verb": "post.created", "min": 2, "days": 90}},
        {"field": "email_consent", "op": "given", "value": "newsletter"},
        {"field": "signup_date", "op": "within_days", "value": 365},
    ]})
    with django_assert_num_queries(1):
        queries.count(filters)


def test_company_rules(membre):
    acme = make_company("Acme")
    other = make_company("Other")
    a = make_user("a@example.org", "member", "A")
    b = make_user("b@example.org", "member", "B")
    make_user("c@example.org", "member", "C")
    attach(acme, a, minutes_ago=5, contact=True)
    attach(other, b, minutes_ago=5)
    assert emails(rule("company", "in", [acme.pk])) == {"a@example.org"}
    assert emails(rule("company", "is_contact")) == {"a@example.org"}
    assert emails(rule("company", "is_set")) == {"a@example.org", "b@example.org"}
    assert "c@example.org" in emails(rule("company", "is_not_set"))
    assert "a@example.org" not in emails(rule("company", "not_in", [acme.pk]))
    assert "b@example.org" in emails(rule("company", "not_in", [acme.pk]))


def test_tag_rule_looks_at_skills_and_interests():
    from tribu.accounts.models import Profile, Tag

    python = Tag.objects.create(kind="skill", name="Python", slug="python")
    jardin = Tag.objects.create(kind="interest", name="Jardinage", slug="jardinage")
    a = make_user("a@example.org", "member", "A")
    b = make_user("b@example.org", "member", "B")
    make_user("c@example.org", "member", "C")
    Profile.objects.get_or_create(user=a)[0].skills.add(python)
    Profile.objects.get_or_create(user=b)[0].interests.add(jardin)
    assert emails(rule("tag", "any_of", [python.pk])) == {"a@example.org"}
    assert emails(rule("tag", "any_of", [python.pk, jardin.pk])) == {"a@example.org", "b@example.org"}
    assert "a@example.org" not in emails(rule("tag", "none_of", [python.pk]))
    assert "c@example.org" in emails(rule("tag", "none_of", [python.pk]))


def test_role_and_signup_date_rules(alice, mia, gina):
    from tribu.accounts.models import User

    User.objects.filter(pk=gina.pk).update(date_joined=timezone.now() - timedelta(days=400))
    assert emails(rule("role", "in", ["guest", "admin"])) == {"gina@example.org", "alice@example.org"}
    assert "mia@example.org" in emails(rule("signup_date", "within_days", 30))
    assert "gina@example.org" not in emails(rule("signup_date", "within_days", 30))
    assert emails(rule("signup_date", "more_than_days", 365)) == {"gina@example.org"}
    old_day = (timezone.localdate() - timedelta(days=100)).isoformat()
    assert emails(rule("signup_date", "before", old_day)) == {"gina@example.org"}
    assert "gina@example.org" not in emails(rule("signup_date", "on_or_after", old_day))


def test_last_seen_rules(mia, gina, anna):
    from tribu.accounts.models import Profile

    Profile.objects.update_or_create(user=mia, defaults={"last_active_at": timezone.now() - timedelta(days=2)})
    Profile.objects.update_or_create(user=gina, defaults={"last_active_at": timezone.now() - timedelta(days=60)})
    assert emails(rule("last_seen", "within_days", 7)) == {"mia@example.org"}
    not_seen = emails(rule("last_seen", "not_within_days", 30))
    assert "gina@example.org" in not_seen and "anna@example.org" in not_seen and "mia@example.org" not in not_seen
    assert "anna@example.org" in emails(rule("last_seen", "never"))
    assert "mia@example.org" not in emails(rule("last_seen", "never"))


def _act(user, verb, days_ago=0):
    from tribu.core.activity import record
    from tribu.core.models import Activity

    row = record(user, verb)
    Activity.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=days_ago))


def test_activity_log_rules(mia, gina, anna):
    _act(mia, "post.created", 3)
    _act(mia, "post.created", 10)
    _act(gina, "post.created", 200)
    _act(gina, "event.registered", 5)
    posted_twice = {"verb": "post.created", "min": 2, "days": 30}
    assert emails(rule("activity", "did_at_least", posted_twice)) == {"mia@example.org"}
    posted_once_ever = {"verb": "post.created", "min": 1, "days": None}
    assert emails(rule("activity", "did_at_least", posted_once_ever)) == {"mia@example.org", "gina@example.org"}
    never_posted = emails(rule("activity", "did_at_most", {"verb": "post.created", "min": 0, "days": None}))
    assert "anna@example.org" in never_posted and "mia@example.org" not in never_posted
    at_most_one = emails(rule("activity", "did_at_most", {"verb": "post.created", "min": 1, "days": None}))
    assert "gina@example.org" in at_most_one and "mia@example.org" not in at_most_one
    quiet = emails(rule("activity", "none_for_days", 30))
    assert "anna@example.org" in quiet and "mia@example.org" not in quiet and "gina@example.org" not in quiet
    assert emails(rule("activity", "any_within_days", 7)) == {"mia@example.org", "gina@example.org"}
    any_act = {"verb": "", "min": 3, "days": None}
    assert emails(rule("activity", "did_at_least", any_act)) == set()


def test_email_consent_follows_the_latest_choice(mia, gina, anna):
    from tribu.privacy.actions import record_consent

    record_consent(mia, "newsletter", True)
    record_consent(gina, "newsletter", True)
    record_consent(gina, "newsletter", False)
    record_consent(anna, "event_announcements", True)
    assert emails(rule("email_consent", "given", "newsletter")) == {"mia@example.org"}
    withdrawn = emails(rule("email_consent", "not_given", "newsletter"))
    assert {"gina@example.org", "anna@example.org"} <= withdrawn and "mia@example.org" not in withdrawn
    assert emails(rule("email_consent", "given", "event_announcements")) == {"anna@example.org"}


def _custom(key, kind, **extra):
    from tribu.accounts.models import CustomField

    return CustomField.objects.create(key=key, kind=kind, label_fr=key, label_en=key, segmentable=True, **extra)


def _answer(user, field, value):
    from tribu.accounts.models import CustomFieldValue

    CustomFieldValue.objects.create(user=user, field=field, value=value)


def test_custom_field_rules_for_every_kind(mia, gina, anna):
    region = _custom("region", "single_choice", choices=[
        {"value": "bretagne", "label_fr": "Bretagne", "label_en": "Brittany"},
        {"value": "alsace", "label_fr": "Alsace", "label_en": "Alsace"},
    ])
    langs = _custom("langues", "multiple_choice", choices=[
        {"value": "fr", "label_fr": "Français"}, {"value": "de", "label_fr": "Allemand"},
        {"value": "d", "label_fr": "D"},
    ])
    staff = _custom("effectif", "number")
    since = _custom("depuis", "date")
    bio = _custom("metier", "short_text")
    vote = _custom("benevole", "boolean")
    _answer(mia, region, "bretagne")
    _answer(gina, region, "alsace")
    _answer(mia, langs, ["fr", "de"])
    _answer(gina, langs, ["d"])
    _answer(mia, staff, 12)
    _answer(gina, staff, 250.5)
    _answer(anna, staff, None)
    _answer(mia, since, "2019-05-01")
    _answer(gina, since, "2024-01-15")
    _answer(mia, bio, "Boulangère à Rennes")
    _answer(gina, bio, "Développeuse")
    _answer(mia, vote, True)
    _answer(gina, vote, False)

    assert emails(rule("custom:region", "any_of", ["bretagne"])) == {"mia@example.org"}
    assert "mia@example.org" not in emails(rule("custom:region", "none_of", ["bretagne"]))
    assert emails(rule("custom:langues", "any_of", ["de"])) == {"mia@example.org"}
    assert emails(rule("custom:langues", "any_of", ["d"])) == {"gina@example.org"}  # not a prefix of "de"
    assert emails(rule("custom:effectif", "gte", 100)) == {"gina@example.org"}
    assert emails(rule("custom:effectif", "lte", 12)) == {"mia@example.org"}
    assert emails(rule("custom:effectif", "eq", 12)) == {"mia@example.org"}
    assert emails(rule("custom:effectif", "is_set")) == {"mia@example.org", "gina@example.org"}
    assert "anna@example.org" in emails(rule("custom:effectif", "is_not_set"))
    assert emails(rule("custom:depuis", "before", "2020-01-01")) == {"mia@example.org"}
    assert emails(rule("custom:depuis", "on_or_after", "2024-01-15")) == {"gina@example.org"}
    assert emails(rule("custom:metier", "contains", "rennes")) == {"mia@example.org"}
    assert emails(rule("custom:metier", "equals", "développeuse")) == {"gina@example.org"}
    assert emails(rule("custom:benevole", "is", True)) == {"mia@example.org"}
    assert emails(rule("custom:benevole", "is", False)) == {"gina@example.org"}


def test_group_rule(mia, gina):
    from tribu.groups.models import Group, GroupMembership

    club = Group.objects.create(name="Club", slug="club")
    other = Group.objects.create(name="Other", slug="other")
    GroupMembership.objects.create(group=club, user=mia)
    GroupMembership.objects.create(group=other, user=gina)
    assert emails(rule("group", "in", [club.pk])) == {"mia@example.org"}
    assert "mia@example.org" not in emails(rule("group", "not_in", [club.pk]))


def test_event_attendance_rules(mia, gina, anna):
    from tribu.events.models import Event, Registration

    now = timezone.now()
    past = Event.objects.create(slug="past", title="Afterwork", starts_at=now - timedelta(days=10),
                                ends_at=now - timedelta(days=10) + timedelta(hours=2), status="published")
    old = Event.objects.create(slug="old", title="Old", starts_at=now - timedelta(days=300),
                               ends_at=now - timedelta(days=300) + timedelta(hours=2), status="published")
    Registration.objects.create(event=past, user=mia, status="confirmed", checked_in_at=now - timedelta(days=10))
    Registration.objects.create(event=past, user=gina, status="confirmed")
    Registration.objects.create(event=old, user=anna, status="confirmed", checked_in_at=now - timedelta(days=300))
    assert emails(rule("event", "registered_to", [past.pk])) == {"mia@example.org", "gina@example.org"}
    assert emails(rule("event", "attended", [past.pk])) == {"mia@example.org"}
    assert "gina@example.org" in emails(rule("event", "not_attended", [past.pk]))
    assert emails(rule("event", "attended_within_days", 30)) == {"mia@example.org"}
    assert "anna@example.org" in emails(rule("event", "not_attended_within_days", 30))


def test_match_any_and_all_and_no_rule(membre, mia, gina, anna):
    make_membership(tier=membre, user=mia)
    both = [{"field": "tier", "op": "in", "value": [membre.pk]}, {"field": "role", "op": "in", "value": ["guest"]}]
    assert emails({"match": "all", "rules": both}) == set()
    assert emails({"match": "any", "rules": both}) == {"mia@example.org", "gina@example.org"}
    assert emails({"match": "all", "rules": []}) == {"mia@example.org", "gina@example.org", "anna@example.org"}


def test_a_rule_on_a_field_no_longer_offered_matches_no_one(mia):
    from tribu.accounts.models import CustomField

    field = _custom("region", "short_text")
    _answer(mia, field, "Bretagne")
    filters = validate(rule("custom:region", "contains", "bret"))
    assert queries.count(filters) == 1
    CustomField.objects.filter(pk=field.pk).update(segmentable=False)
    assert queries.count(filters) == 0
    unanswered = {"match": "all", "rules": [{"field": "custom:region", "op": "is_not_set", "value": None}]}
    assert queries.count(unanswered) == 0
    assert queries.count({"match": "all", "rules": [{"field": "gone", "op": "in", "value": [1]}]}) == 0
