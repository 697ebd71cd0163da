"""Writes on accounts: language, profile basics, roles."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tribu.core import policies
from tribu.core.activity import record
from tribu.core.notifications.actions import notify_role_changed, notify_welcome

from .models import Role, User


def set_language(user: User, language: str) -> None:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def update_account(user: User, changed: list[str]) -> None:
    with transaction.atomic():
        user.save(update_fields=changed)
        record(user, "account.updated", user, fields=sorted(changed))


def accept_charter(user: User) -> None:
    user.charter_accepted_at = timezone.now()
    user.save(update_fields=["charter_accepted_at"])
    record(user, "charter.accepted", user)
    from tribu.privacy.actions import record_charter_consent  # the consent record: text + version

    record_charter_consent(user)


def change_role(actor: Any, target: User, new_role: str) -> User:
    if new_role not in Role.values:
        raise ValidationError(_("Unknown role."))
    if not policies.can_change_role(actor, target, new_role):
        raise PermissionDenied
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=target.pk)
        old_role = locked.role
        if old_role == new_role:
            return locked
        locked.role = new_role
        locked.is_staff = new_role in {Role.ADMIN, Role.STAFF}
        locked.is_superuser = new_role == Role.ADMIN
        locked.save(update_fields=["role", "is_staff", "is_superuser"])
        activity = record(actor, "member.role_changed", locked, audit=True, old=old_role, new=new_role)
        notify_role_changed(actor, locked, old_role, new_role, activity=activity)
    return locked


def welcome_member(user: User) -> bool:
    """The member's first verified address: they have joined. Recorded once, whatever happens after."""
    from tribu.core.models import Activity

    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if Activity.objects.filter(actor=locked, verb="member.joined").exists():
            return False
        activity = record(locked, "member.joined", locked)
        notify_welcome(locked, activity=activity)
    return True
