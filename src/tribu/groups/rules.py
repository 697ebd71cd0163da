"""Automatic membership: a group's rules on member attributes (tier, company, region, city, a
custom profile field's value). Members who match any rule of a group are added to it (source
``rule``) and removed when they match none any more — only if a rule added them; people who joined,
were invited or approved stay. Every change is recorded in the activity log.

``apply_rules()`` is the periodic job (``jobs.py``) and is idempotent; ``apply_for_user(user)`` is
called right after a change to one member (cheap: one query per rule). Both take a fixed number of
queries per rule, whatever the number of members.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from tribu.core.activity import record

from . import policies
from .models import Group, GroupMembership, MembershipRule, RuleKind, Source


def matching_users(rule: MembershipRule) -> QuerySet[Any]:
    """The active members the rule matches (a queryset of users)."""
    from tribu.accounts.models import User
    from tribu.memberships.models import GRANTING_STATUSES, Membership

    users = User.objects.filter(is_active=True)
    if rule.kind == RuleKind.TIER:
        own = Membership.objects.filter(tier_id=rule.tier_id, status__in=GRANTING_STATUSES, user__isnull=False)
        company = Membership.objects.filter(tier_id=rule.tier_id, status__in=GRANTING_STATUSES, company__isnull=False)
        return users.filter(Q(pk__in=own.values("user_id")) | Q(company_attachment__company_id__in=company.values(
            "company_id")))
    if rule.kind == RuleKind.COMPANY:
        return users.filter(company_attachment__company_id=rule.company_id)
    if rule.kind == RuleKind.REGION:
        return users.filter(profile__region__iexact=rule.value.strip())
    if rule.kind == RuleKind.CITY:
        return users.filter(profile__city__iexact=rule.value.strip())
    if rule.kind == RuleKind.CUSTOM_FIELD:
        value = rule.value.strip()
        return users.filter(
            Q(custom_values__field_id=rule.field_id)
            & (Q(custom_values__value=value) | Q(custom_values__value__contains=[value]))
        ).distinct() if _supports_json_contains() else users.filter(
            custom_values__field_id=rule.field_id, custom_values__value=value
        )
    return users.none()


def _supports_json_contains() -> bool:
    from django.db import connection

    return connection.features.supports_json_field_contains


def _group_matches(group: Group, rules: list[MembershipRule]) -> set[int]:
    ids: set[int] = set()
    for rule in rules:
        ids |= set(matching_users(rule).values_list("pk", flat=True))
    return ids


def sync_group(group: Group) -> dict[str, int]:
    """Add the members matching the group's rules, remove rule-added members who no longer match."""
    from tribu.accounts.models import User

    from .actions import AlreadyMember, _drop_member, add_member

    rules = list(group.membership_rules.all())
    if group.is_archived:
        return {"added": 0, "removed": 0}
    wanted = _group_matches(group, rules) if rules else set()
    with transaction.atomic():
        locked = Group.objects.select_for_update().get(pk=group.pk)
        current = dict(GroupMembership.objects.filter(group=locked).values_list("user_id", "source"))
        to_add = wanted - set(current)
        to_remove = [uid for uid, source in current.items() if source == Source.RULE and uid not in wanted]
        added = 0
        for user in User.objects.filter(pk__in=to_add):
            try:
                add_member(locked, user, actor=None, source=Source.RULE)
                added += 1
            except AlreadyMember:
                continue
        for membership in GroupMembership.objects.select_related("user").filter(group=locked, user_id__in=to_remove):
            _drop_member(locked, membership)
            record(None, "group.member_unmatched", locked, group=locked, name=locked.name,
                   member_id=membership.user_id, member=membership.user.name)
    return {"added": added, "removed": len(to_remove)}


def apply_rules() -> dict[str, int]:
    """Every group with rules, and every group holding rule-added members (whose rules may be gone)."""
    totals = {"groups": 0, "added": 0, "removed": 0}
    ids = set(MembershipRule.objects.values_list("group_id", flat=True)) | set(
        GroupMembership.objects.filter(source=Source.RULE).values_list("group_id", flat=True)
    )
    for group in Group.objects.filter(pk__in=ids, archived_at__isnull=True).order_by("pk"):
        result = sync_group(group)
        totals["groups"] += 1
        totals["added"] += result["added"]
        totals["removed"] += result["removed"]
    return totals


def apply_for_user(user: Any) -> dict[str, int]:
    """Right after a change to ``user`` (profile, tier, company): fix their rule-made memberships."""
    from .actions import AlreadyMember, _drop_member, add_member

    added = removed = 0
    rules = list(MembershipRule.objects.select_related("group").filter(group__archived_at__isnull=True))
    by_group: dict[int, list[MembershipRule]] = {}
    for rule in rules:
        by_group.setdefault(rule.group_id, []).append(rule)
    current = dict(GroupMembership.objects.filter(user=user).values_list("group_id", "source"))
    rule_groups = set(by_group) | {gid for gid, source in current.items() if source == Source.RULE}
    for group_id in rule_groups:
        group_rules = by_group.get(group_id, [])
        matches = any(matching_users(r).filter(pk=user.pk).exists() for r in group_rules)
        with transaction.atomic():
            group = Group.objects.select_for_update().get(pk=group_id)
            if group.is_archived:
                continue
            if matches and group_id not in current:
                with contextlib.suppress(AlreadyMember):  # joined by themselves meanwhile
                    add_member(group, user, actor=None, source=Source.RULE)
                    added += 1
            elif not matches and current.get(group_id) == Source.RULE:
                membership = GroupMembership.objects.filter(group=group, user=user).first()
                if membership is not None:
                    _drop_member(group, membership)
                    record(None, "group.member_unmatched", group, group=group, name=group.name, member_id=user.pk,
                           member=user.name)
                    removed += 1
    policies.forget(user)
    return {"added": added, "removed": removed}


def add_rule(actor: Any, group: Group, *, kind: str, tier: Any = None, company: Any = None, field: Any = None,
             value: str = "") -> MembershipRule:
    if not policies.can_edit(actor, group) or group.is_archived:
        raise PermissionDenied
    rule = MembershipRule(group=group, kind=kind, tier=tier, company=company, field=field,
                          value=" ".join((value or "").split())[:200])
    errors = {}
    if kind not in RuleKind.values:
        errors["kind"] = [_("Choose an attribute.")]
    elif kind == RuleKind.TIER and tier is None:
        errors["tier"] = [_("Choose a tier.")]
    elif kind == RuleKind.COMPANY and company is None:
        errors["company"] = [_("Choose a company.")]
    elif kind == RuleKind.CUSTOM_FIELD and field is None:
        errors["field"] = [_("Choose a profile field.")]
    elif kind in (RuleKind.REGION, RuleKind.CITY, RuleKind.CUSTOM_FIELD) and not rule.value:
        errors["value"] = [_("Enter the value members must have.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rule.save()
        record(actor, "group.rule_added", group, group=group, name=group.name, kind=kind)
    transaction.on_commit(lambda: sync_group(Group.objects.get(pk=group.pk)))
    return rule


def delete_rule(actor: Any, group: Group, rule_id: int) -> None:
    if not policies.can_edit(actor, group):
        raise PermissionDenied
    with transaction.atomic():
        deleted, _rows = MembershipRule.objects.filter(pk=rule_id, group=group).delete()
        if not deleted:
            raise MembershipRule.DoesNotExist
        record(actor, "group.rule_deleted", group, group=group, name=group.name)
    transaction.on_commit(lambda: sync_group(Group.objects.get(pk=group.pk)))


MANY = 200  # more members than this changed at once (an import): one full pass instead of one per member


def apply_for_users(user_ids: list[int]) -> dict[str, int]:
    """Members whose attributes changed: bring their rule-made group memberships up to date."""
    from tribu.accounts.models import User

    if not MembershipRule.objects.exists() and not GroupMembership.objects.filter(
        user_id__in=user_ids, source=Source.RULE
    ).exists():
        return {"added": 0, "removed": 0}
    if len(user_ids) > MANY:
        totals = apply_rules()
        return {"added": totals["added"], "removed": totals["removed"]}
    totals = {"added": 0, "removed": 0}
    for user in User.objects.filter(pk__in=user_ids):
        result = apply_for_user(user)
        totals["added"] += result["added"]
        totals["removed"] += result["removed"]
    return totals


def apply_on_commit(user_ids: list[int]) -> None:
    """Once the current transaction commits, apply the rules to these members in the background."""
    from .tasks import apply_rules_for_users

    ids = sorted({int(i) for i in user_ids if i is not None})
    if ids:
        transaction.on_commit(lambda: apply_rules_for_users.enqueue(user_ids=ids))
