"""The segment pages as the community team uses them, and refused to everyone else."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from conftest import make_user
from tribu.core.models import Activity
from tribu.segments import actions
from tribu.segments.models import Segment

from .conftest import make_membership, speak_english

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(db):
    speak_english()

ROLE_FILTERS = {"match": "all", "rules": [{"field": "role", "op": "in", "value": ["member"]}]}


@pytest.fixture
def segment(alice):
    return actions.create_segment(alice, name="Members", description="Plain members", filters=ROLE_FILTERS)


def builder_post(**rows) -> dict:
    """Form data for the builder: ``rule0=("role", "in", "choices", ["member"])``."""
    data: dict = {"name": "Built", "description": "", "match": "all"}
    for key, (field, op, kind, value) in rows.items():
        n = key.removeprefix("rule")
        data.update({f"rule-{n}-field": field, f"rule-{n}-op": op, f"rule-{n}-kind": kind, f"rule-{n}-was": field})
        if isinstance(value, dict):
            data.update({f"rule-{n}-{k}": v for k, v in value.items()})
        elif value is not None:
            data[f"rule-{n}-value"] = value
    return data


PAGES = [
    ("get", "segments:index", False),
    ("get", "segments:create", False),
    ("get", "segments:detail", True),
    ("get", "segments:edit", True),
    ("get", "segments:export", True),
    ("get", "segments:delete", True),
    ("post", "segments:duplicate", True),
    ("post", "segments:rules", False),
    ("post", "segments:count", False),
]


@pytest.mark.parametrize(("method", "name", "with_pk"), PAGES)
@pytest.mark.parametrize(("role", "expected"), [
    ("admin", 200), ("staff", 200), ("animator", 403), ("member", 403), ("guest", 403), (None, 302),
])
def test_only_the_team_reaches_segment_pages(client, users_by_role, segment, method, name, with_pk, role, expected):
    if role:
        client.force_login(users_by_role[role])
    url = reverse(name, args=[segment.pk] if with_pk else [])
    response = getattr(client, method)(url)
    if expected == 200 and method == "post" and name == "segments:duplicate":
        expected = 302
    assert response.status_code == expected
    if role is None:
        assert "/login" in response["Location"] or "/accounts/" in response["Location"]
    assert Segment.objects.count() == (2 if expected == 302 and role else 1)


def test_refused_people_cannot_delete(client, mia, segment):
    client.force_login(mia)
    assert client.post(reverse("segments:delete", args=[segment.pk])).status_code == 403
    assert Segment.objects.filter(pk=segment.pk).exists()


def test_list_shows_member_counts_and_a_bounded_number_of_queries(client, bob, mia, gina, alice,
                                                                  django_assert_max_num_queries):
    client.force_login(bob)
    for i in range(3):
        actions.create_segment(alice, name=f"Segment {i}", filters={
            "rules": [{"field": "role", "op": "in", "value": ["member", "guest"][: i % 2 + 1]}]})
    with django_assert_max_num_queries(12) as few:
        response = client.get(reverse("segments:index"))
    page = response.content.decode()
    assert "Segment 0" in page and "1 member" in page and "2 members" in page
    for i in range(3, 15):
        actions.create_segment(alice, name=f"Segment {i}", filters=ROLE_FILTERS)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("segments:index"))  # counts are cached: more segments, no more queries
    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries) + 15):
        client.get(reverse("segments:index"))  # one count per segment whose count is not cached


def test_building_a_segment_with_the_live_count(client, bob, mia, gina, anna, membre):
    make_membership(tier=membre, user=mia)
    make_membership(tier=membre, user=gina)
    client.force_login(bob)
    page = client.get(reverse("segments:create")).content.decode()
    assert 'hx-post="/manage/segments/builder/count/"' in page and "<script>" not in page
    # choosing the field brings its conditions and values
    rules = client.post(reverse("segments:rules"), {"rule-0-field": "tier", "rule-0-was": "", "rule-0-kind": "none"},
                        HTTP_HX_REQUEST="true")
    assert rules.status_code == 200 and rules["HX-Trigger-After-Settle"] == "segments-rules-changed"
    html = rules.content.decode()
    assert 'name="rule-0-op"' in html and f'<option value="{membre.pk}">Member</option>' in html
    counted = client.post(reverse("segments:count"), builder_post(rule0=("tier", "in", "ids", [str(membre.pk)])),
                          HTTP_HX_REQUEST="true")
    assert "2 members match" in counted.content.decode()
    both = builder_post(rule0=("tier", "in", "ids", [str(membre.pk)]), rule1=("role", "in", "choices", ["guest"]))
    counted = client.post(reverse("segments:count"), both, HTTP_HX_REQUEST="true")
    assert "1 member matches" in counted.content.decode() and "Gina" in counted.content.decode()
    saved = client.post(reverse("segments:create"), {**both, "name": "Guests with Membre", "save": "1"})
    segment = Segment.objects.get(name="Guests with Membre")
    assert saved.status_code == 302 and saved["Location"] == reverse("segments:detail", args=[segment.pk])
    assert segment.filters == {"match": "all", "rules": [
        {"field": "tier", "op": "in", "value": [membre.pk]}, {"field": "role", "op": "in", "value": ["guest"]},
    ]}
    detail = client.get(saved["Location"]).content.decode()
    assert "gina@example.org" in detail and "mia@example.org" not in detail
    assert Activity.objects.filter(verb="segment.created", actor=bob, audit=True).exists()


def test_adding_and_removing_rules(client, bob):
    client.force_login(bob)
    data = builder_post(rule0=("role", "in", "choices", ["member"]), rule1=("company", "is_set", "none", None))
    added = client.post(reverse("segments:rules"), {**data, "add_rule": "1"}).content.decode()
    assert 'name="rule-2-field"' in added
    removed = client.post(reverse("segments:rules"), {**data, "remove_rule": "0"}).content.decode()
    assert 'name="rule-1-field"' not in removed
    assert '<option value="company" selected>' in removed
    # without JavaScript the page itself does the same
    page = client.post(reverse("segments:create"), {**data, "add_rule": "1"})
    assert page.status_code == 200 and 'name="rule-2-field"' in page.content.decode()
    assert not Segment.objects.exists()


def test_changing_the_field_drops_a_value_meant_for_the_old_one(client, bob, membre):
    client.force_login(bob)
    data = builder_post(rule0=("tier", "in", "ids", [str(membre.pk)]))
    data["rule-0-field"] = "company"  # same operator and value kind, another field
    html = client.post(reverse("segments:rules"), data).content.decode()
    assert "selected" not in html.split('name="rule-0-op"')[1].split("</select>", 2)[1]


def test_bad_rules_are_explained_and_nothing_is_saved(client, bob):
    client.force_login(bob)
    data = builder_post(rule0=("membership_status", "expiring_within", "days", "soon"))
    counted = client.post(reverse("segments:count"), data)
    assert counted.status_code == 422 and "whole number of days" in counted.content.decode()
    counted = client.post(reverse("segments:count"), data, HTTP_HX_REQUEST="true")
    assert counted.status_code == 200 and "whole number of days" in counted.content.decode()
    saved = client.post(reverse("segments:create"), {**data, "save": "1"})
    assert saved.status_code == 400 and "whole number of days" in saved.content.decode()
    unknown = builder_post(rule0=("shoe_size", "in", "ids", ["1"]))
    saved = client.post(reverse("segments:create"), {**unknown, "save": "1", "name": ""})
    assert saved.status_code == 400
    assert not Segment.objects.exists()


def test_a_segment_matching_nobody_is_valid_and_says_so(client, bob, premium):
    client.force_login(bob)
    data = builder_post(rule0=("tier", "in", "ids", [str(premium.pk)]))
    counted = client.post(reverse("segments:count"), data, HTTP_HX_REQUEST="true").content.decode()
    assert "No member matches these rules" in counted and "reach no one" in counted
    saved = client.post(reverse("segments:create"), {**data, "save": "1", "name": "Premium"})
    assert saved.status_code == 302
    assert "a campaign sent to it would reach no one" in client.get(saved["Location"]).content.decode()


def test_editing_keeps_the_rules_and_updates_them(client, bob, segment):
    client.force_login(bob)
    page = client.get(reverse("segments:edit", args=[segment.pk])).content.decode()
    assert '<option value="role" selected>' in page and '<option value="member" selected>' in page
    data = builder_post(rule0=("role", "in", "choices", ["guest", "member"]))
    response = client.post(reverse("segments:edit", args=[segment.pk]), {**data, "name": "Renamed", "save": "1"})
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.name == "Renamed" and segment.filters["rules"][0]["value"] == ["guest", "member"]


def test_export_lists_the_members_and_is_audited(client, bob, mia, gina, segment):
    make_user("=cmd@example.org", "member", "=HYPERLINK(\"x\")")
    client.force_login(bob)
    response = client.get(reverse("segments:export", args=[segment.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"] and "members-" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","))
    emails = {r[0] for r in rows[1:]}
    assert emails == {"mia@example.org", "'=cmd@example.org"}  # a formula is neutralised
    assert "'=HYPERLINK" in text
    assert Activity.objects.filter(verb="segment.exported", actor=bob, data__rows=2).exists()


def test_duplicate_then_delete(client, bob, segment):
    client.force_login(bob)
    response = client.post(reverse("segments:duplicate", args=[segment.pk]))
    copy = Segment.objects.exclude(pk=segment.pk).get()
    assert response["Location"] == reverse("segments:edit", args=[copy.pk])
    assert copy.name == "Copy of Members" and copy.filters == segment.filters
    confirm = client.get(reverse("segments:delete", args=[copy.pk]))
    assert confirm.status_code == 200
    assert client.post(reverse("segments:delete", args=[copy.pk]))["Location"] == reverse("segments:index")
    assert not Segment.objects.filter(pk=copy.pk).exists()
    assert Activity.objects.filter(verb="segment.deleted", data__name="Copy of Members").exists()


def test_a_segment_campaigns_target_cannot_be_deleted(client, bob, segment):
    from tribu.campaigns.models import Campaign

    Campaign.objects.create(name="Rentrée", segment=segment)
    client.force_login(bob)
    response = client.post(reverse("segments:delete", args=[segment.pk]))
    assert response.status_code == 409 and "A campaign targets this segment" in response.content.decode()
    assert Segment.objects.filter(pk=segment.pk).exists()
    assert not Activity.objects.filter(verb="segment.deleted").exists()


def test_unknown_segment_is_a_404(client, bob):
    client.force_login(bob)
    assert client.get(reverse("segments:detail", args=[9999])).status_code == 404
    assert client.get(reverse("segments:export", args=[9999])).status_code == 404


def test_the_preview_page_runs_a_bounded_number_of_queries(client, bob, segment, django_assert_max_num_queries):
    client.force_login(bob)
    for i in range(3):
        make_user(f"m{i}@example.org", "member", f"Member {i}")
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("segments:detail", args=[segment.pk]))
    for i in range(3, 30):
        make_user(f"m{i}@example.org", "member", f"Member {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("segments:detail", args=[segment.pk])).content.decode()
    assert "The first 20 members" in page


def test_pages_speak_french_to_a_french_community(client, bob, mia, gina):
    from tribu.core.community import forget_community, get_community

    community = get_community()
    community.default_language = "fr"
    community.save()
    forget_community()
    client.force_login(bob)
    page = client.get(reverse("segments:create")).content.decode()
    assert "Ajouter une règle" in page and "Enregistrer le segment" in page
    counted = client.post(reverse("segments:count"), builder_post(rule0=("role", "in", "choices", ["member", "guest"])),
                          HTTP_HX_REQUEST="true").content.decode()
    assert "2\u00a0membres correspondent" in counted or "2 membres correspondent" in counted
    bad = client.post(reverse("segments:count"), builder_post(rule0=("signup_date", "before", "date", "hier")))
    assert bad.status_code == 422 and "AAAA-MM-JJ" in bad.content.decode()


def test_the_live_count_runs_a_bounded_number_of_queries(client, bob, membre, django_assert_max_num_queries):
    client.force_login(bob)
    data = builder_post(rule0=("tier", "in", "ids", [str(membre.pk)]), rule1=("role", "in", "choices", ["member"]),
                        rule2=("activity", "none_for_days", "days", "30"))
    for i in range(3):
        make_membership(tier=membre, user=make_user(f"m{i}@example.org", "member", f"M{i}"))
    with django_assert_max_num_queries(12) as few:
        client.post(reverse("segments:count"), data, HTTP_HX_REQUEST="true")
    for i in range(3, 30):
        make_membership(tier=membre, user=make_user(f"m{i}@example.org", "member", f"M{i}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        counted = client.post(reverse("segments:count"), data, HTTP_HX_REQUEST="true").content.decode()
    assert "30 members match" in counted


def test_a_rule_without_its_value_is_left_out_of_the_live_count_and_said_so(client, bob, mia, gina):
    client.force_login(bob)
    data = builder_post(rule0=("role", "in", "choices", ["guest"]), rule1=("tier", "in", "ids", None))
    counted = client.post(reverse("segments:count"), data, HTTP_HX_REQUEST="true").content.decode()
    assert "1 member matches" in counted and "Rule 2 has no value yet: it is not counted." in counted
    saved = client.post(reverse("segments:create"), {**data, "save": "1"})
    assert saved.status_code == 400 and "choose at least one item" in saved.content.decode()


def test_member_counts_are_grouped_the_reader_s_way():
    from django.utils import translation

    from tribu.segments.templatetags.segments import grouped

    with translation.override("en"):
        assert grouped(29212) == "29,212"
    with translation.override("fr"):
        assert grouped(29212).replace("\u202f", " ").replace("\u00a0", " ") == "29 212"
    assert grouped(None) == ""
