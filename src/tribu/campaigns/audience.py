"""Who a campaign goes to: the members of its segment and/or of its groups, and which of them may
receive it (consent for the campaign's topic, suppression list, a well-formed address)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q, QuerySet

from tribu.accounts.models import User
from tribu.core.community import get_community
from tribu.mailing import consent

from .models import Campaign, SkipReason


def groups_available() -> bool:
    return apps.is_installed("tribu.groups")


def group_choices() -> list[tuple[int, str]]:
    if not groups_available():
        return []
    from tribu.groups.models import Group

    return list(Group.objects.filter(archived_at__isnull=True).order_by("name").values_list("id", "name"))


def audience(campaign: Campaign) -> QuerySet[User]:
    """Every member the campaign targets (before consent), as one query."""
    condition = Q(pk__in=[])
    if campaign.segment_id:
        from tribu.segments.queries import members_of

        condition |= Q(pk__in=members_of(campaign.segment).values("pk"))
    if campaign.group_ids and groups_available():
        from tribu.groups.models import GroupMembership

        condition |= Q(pk__in=GroupMembership.objects.filter(group_id__in=campaign.group_ids).values("user_id"))
    return User.objects.filter(condition)


def has_audience(campaign: Campaign) -> bool:
    return bool(campaign.segment_id or campaign.group_ids)


def counts(campaign: Campaign) -> dict[str, int]:
    """``{"targeted": …, "sendable": …}`` for the composer and the checks before sending."""
    if not has_audience(campaign):
        return {"targeted": 0, "sendable": 0}
    users = audience(campaign)
    return {"targeted": users.count(), "sendable": consent.sendable(users, campaign.topic).count()}


def _valid(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def freeze(campaign: Campaign) -> list[dict[str, Any]]:
    """The recipient rows to write when sending starts: everyone targeted, with why some are skipped."""
    users = audience(campaign)
    allowed = set(consent.sendable(users, campaign.topic).values_list("pk", flat=True))
    rows = list(users.values_list("pk", "email", "language", "is_active").order_by("pk"))
    suppressed = consent.suppressed_among(email for _pk, email, _lang, _active in rows if email)
    default_language = get_community().default_language or "fr"
    out = []
    for pk, email, language, active in rows:
        reason = ""
        if not active:
            reason = SkipReason.INACTIVE
        elif not email or not _valid(email):
            reason = SkipReason.INVALID_ADDRESS
        elif consent.normalise(email) in suppressed:
            reason = SkipReason.SUPPRESSED
        elif pk not in allowed:
            reason = SkipReason.NO_CONSENT
        out.append(
            {
                "user_id": pk,
                "email": email or "",
                "language": campaign.language_for(language or default_language),
                "skip_reason": reason,
            }
        )
    return out
