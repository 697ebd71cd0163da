"""Bad filters get a clear message per faulty rule, in the reader's language; nothing is evaluated."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tribu.segments.filters import MAX_RULES, validate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def problems(filters) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate(filters)
    return caught.value.messages


def one(field, op, value=None):
    return {"match": "all", "rules": [{"field": field, "op": op, "value": value}]}


def test_unknown_field_and_operator_are_named():
    assert problems(one("shoe_size", "in", [1])) == ["Rule 1: unknown field « shoe_size »."]
    [message] = problems(one("role", "between", ["member"]))
    assert "Rule 1" in message and "« between »" in message and "in, not_in" in message


@pytest.mark.parametrize(("field", "op", "value", "expected"), [
    ("tier", "in", "3", "a list of ids"),
    ("tier", "in", [], "a list of ids"),
    ("tier", "in", [True], "a list of ids"),
    ("tier", "in", [999999], "unknown items: 999999"),
    ("role", "in", ["pope"], "unknown values: pope"),
    ("role", "in", [3], "must be text"),
    ("membership_status", "expiring_within", "30", "whole number of days"),
    ("membership_status", "expiring_within", -1, "whole number of days"),
    ("signup_date", "before", "23/11/2026", "YYYY-MM-DD"),
    ("signup_date", "before", "2026-02-30", "YYYY-MM-DD"),
    ("activity", "did_at_least", {"verb": "post.created", "min": 0}, "1 or more"),
    ("activity", "did_at_least", {"verb": "DROP TABLE", "min": 1}, "verb such as post.created"),
    ("activity", "did_at_least", {"verb": "post.created", "min": 1, "days": 0}, "between 1 and"),
    ("activity", "did_at_least", ["post.created"], '{"verb"'),
    ("email_consent", "given", "charter", "unknown values: charter"),
])
def test_values_of_the_wrong_type_or_unknown_are_refused(membre, field, op, value, expected):
    [message] = problems(one(field, op, value))
    assert expected in message


def test_every_faulty_rule_is_reported_with_its_number(membre):
    messages = problems({"match": "all", "rules": [
        {"field": "tier", "op": "in", "value": [membre.pk]},
        {"field": "nope", "op": "in", "value": []},
        {"field": "role", "op": "in"},
    ]})
    assert [m.split(":")[0] for m in messages] == ["Rule 2", "Rule 3"]


@pytest.mark.parametrize("filters", [
    "everyone", [], {"match": "some", "rules": []}, {"rules": "all"}, {"match": "all", "extra": 1},
    {"rules": [["tier", "in", [1]]]}, {"rules": [{"field": "role", "op": "in", "value": ["member"], "x": 1}]},
])
def test_malformed_documents_are_refused(filters):
    assert problems(filters)


def test_too_many_rules():
    rules = [{"field": "company", "op": "is_set"}] * (MAX_RULES + 1)
    assert problems({"rules": rules}) == [f"A segment has at most {MAX_RULES} rules."]


def test_messages_are_in_french_for_a_french_reader(membre):
    with translation.override("fr"):
        [message] = problems(one("shoe_size", "in", [1]))
        assert message == "Règle 1\u00a0: champ inconnu «\u00a0shoe_size\u00a0»."
        [message] = problems(one("signup_date", "before", "demain"))
        assert "AAAA-MM-JJ" in message


def test_valid_filters_are_normalised(membre, premium):
    cleaned = validate({"rules": [
        {"field": "tier", "op": "in", "value": [premium.pk, membre.pk, membre.pk]},
        {"field": "company", "op": "is_set", "value": "ignored"},
        {"field": "role", "op": "in", "value": ["member"]},
    ]})
    assert cleaned == {"match": "all", "rules": [
        {"field": "tier", "op": "in", "value": sorted([membre.pk, premium.pk])},
        {"field": "company", "op": "is_set", "value": None},
        {"field": "role", "op": "in", "value": ["member"]},
    ]}
    assert validate(None) == {"match": "all", "rules": []}


def test_a_custom_field_not_usable_in_segments_is_unknown():
    from tribu.accounts.models import CustomField

    CustomField.objects.create(key="secret", kind="short_text", label_fr="Secret", segmentable=False)
    CustomField.objects.create(key="metier", kind="short_text", label_fr="Métier", segmentable=True)
    assert problems(one("custom:secret", "contains", "x")) == ["Rule 1: unknown field « custom:secret »."]
    [message] = problems(one("custom:metier", "gte", 3))
    assert "« gte »" in message
    assert validate(one("custom:metier", "contains", " boulanger "))["rules"][0]["value"] == "boulanger"
