"""Background tasks of memberships: they take ids and are safe to run twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db import models
from django.tasks import task
from django.urls import reverse
from django.utils.functional import Promise

#: The fields of a membership its emails show, kept as they were when ``tell`` queued the email.
SNAPSHOT = ("status", "tier_id", "starts_on", "ends_on", "is_trial")


def portable(value: Any) -> Any:
    """``value`` as JSON for a job's arguments: a model instance by its label and id, a date in ISO."""
    if isinstance(value, models.Model):
        return {"model": value._meta.label_lower, "pk": value.pk}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, Promise):
        return str(value)
    return value


def revived(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"model", "pk"}:
        return apps.get_model(value["model"])._default_manager.filter(pk=value["pk"]).first()
    if isinstance(value, dict) and set(value) == {"date"}:
        return dt.date.fromisoformat(value["date"])
    return value


def snapshot(membership: Any) -> dict[str, Any]:
    return {name: portable(getattr(membership, name)) for name in SNAPSHOT}


@task(queue_name="default")
def send_membership_email(user_id: int, membership_id: int, template_prefix: str, event: str,
                          state: dict[str, Any], context: dict[str, Any]) -> bool:
    """The email ``actions.tell`` queued after the commit, rendered here (not inside the transaction that
    changed the membership) in the person's language, showing the membership as it was then (``state``)."""
    from tribu.accounts.models import User
    from tribu.core.emails import deliver, language_for, render_email

    from .models import Membership, Tier

    user = User.objects.filter(pk=user_id, is_active=True).first()
    membership = Membership.objects.select_related("tier", "user", "company").filter(pk=membership_id).first()
    if user is None or not user.email or membership is None:
        return False
    for name, value in state.items():
        setattr(membership, name, revived(value))
    if membership.tier.pk != membership.tier_id:
        membership.tier = Tier.objects.get(pk=membership.tier_id)
    parts = render_email(template_prefix, {
        "user": user, "membership": membership, "tier": membership.tier, "event": event,
        "url": reverse("memberships:mine"), **{key: revived(value) for key, value in context.items()},
    }, language_for(user))
    return bool(deliver([user.email], **parts))
