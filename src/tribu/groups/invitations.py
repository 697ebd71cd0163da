"""Invitations into a group, by email, to members and to people not yet on the platform.

The link (valid ``INVITATION_DAYS`` days) carries a secret stored hashed. A member clicks and joins;
anyone else signs up or logs in through the link and comes back to it to join. A new invitation to
the same address replaces the open one; animators revoke open invitations. Each sender may send
``INVITATIONS_PER_DAY`` invitations a day (a counter in the cache, shared by every process on Redis).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tribu.core import invitations as core_invitations
from tribu.core.activity import record
from tribu.core.community import get_community
from tribu.core.emails import language_for, render_email, send_email_on_commit

from . import policies
from .actions import AlreadyMember, add_member
from .models import Group, GroupInvitation, GroupMembership, Source

INVITATION_DAYS = 14
INVITATIONS_PER_DAY = 100
MAX_EMAILS_PER_INVITE = 200
MAX_CSV_BYTES = 512 * 1024
EMAIL_RE = re.compile(r"[^\s,;<>\"']+@[^\s,;<>\"']+")


@dataclass
class InvitationRefused(Exception):
    """The link cannot be used: ``status`` 400 (used, not for you) or 410 (withdrawn, expired)."""

    status: int
    message: str
    state: str = ""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_emails(text: str) -> list[str]:
    """Addresses from a pasted list or a CSV file's text (any column), lower-cased, duplicates dropped."""
    seen: dict[str, None] = {}
    for match in EMAIL_RE.finditer(text or ""):
        seen.setdefault(match.group(0).strip(".").lower(), None)
    return list(seen)


def emails_from_csv(upload: Any) -> list[str]:
    if upload.size > MAX_CSV_BYTES:
        raise ValidationError({"csv_file": [_("The file is too large (512 KB at most).")]})
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","))
    except csv.Error:
        raise ValidationError({"csv_file": [_("This file is not a readable CSV file.")]}) from None
    return parse_emails("\n".join(" ".join(row) for row in rows))


RateLimited = core_invitations.RateLimited


def check_emails(emails: list[str]) -> list[str]:
    return core_invitations.check_emails(emails, most=MAX_EMAILS_PER_INVITE)


ALLOWANCE = core_invitations.DailyAllowance("groups", INVITATIONS_PER_DAY)


def invitations_left_today(actor: Any) -> int:
    return ALLOWANCE.left(actor)


def accept_url(token: str) -> str:
    return settings.SITE_URL + reverse("groups:accept", args=[token])


@dataclass
class InviteResult:
    sent: list[GroupInvitation]
    skipped_members: list[str]


def invite(actor: Any, group: Group, emails: list[str]) -> InviteResult:
    """Email an invitation to each address; addresses of people already in the group are skipped.
    Existing members also get an in-app notification. Raises ``RateLimited`` past the daily allowance."""
    from tribu.accounts.models import User
    from tribu.core.notifications.actions import notify

    from .notifications import INVITED

    if not policies.can_invite(actor, group):
        raise PermissionDenied(_("Only the group's animators can invite."))
    emails = check_emails([e.lower() for e in emails])
    members = {
        e.lower() for e in GroupMembership.objects.filter(group=group, user__email__in=emails)
        .values_list("user__email", flat=True)
    }
    todo = [e for e in emails if e not in members]
    if not todo:
        return InviteResult([], sorted(members))
    ALLOWANCE.take(actor, len(todo))
    now = timezone.now()
    users = {u.email.lower(): u for u in User.objects.filter(email__in=todo, is_active=True)}
    sent = []
    try:
        with transaction.atomic():
            locked = Group.objects.select_for_update().get(pk=group.pk)
            if not policies.can_invite(actor, locked):
                raise PermissionDenied(_("Only the group's animators can invite."))
            GroupInvitation.objects.filter(
                group=locked, email__in=todo, accepted_at__isnull=True, revoked_at__isnull=True
            ).update(revoked_at=now)
            default_language = get_community().default_language or settings.LANGUAGE_CODE
            for address in todo:
                token = secrets.token_urlsafe(32)
                invitation = GroupInvitation.objects.create(
                    group=locked, email=address, invited_by=actor, token_hash=hash_token(token),
                    expires_at=now + timedelta(days=INVITATION_DAYS),
                )
                invitation.token = token  # type: ignore[attr-defined] - in memory only, for the email and tests
                sent.append(invitation)
                user = users.get(address)
                activity = record(actor, "group.invitation_sent", locked, group=locked, name=locked.name,
                                  invitation_id=invitation.pk)
                parts = render_email(
                    "groups/emails/invitation",
                    {"group": locked, "inviter_name": actor.name, "accept_url": accept_url(token),
                     "expires_at": invitation.expires_at, "days": INVITATION_DAYS, "has_account": user is not None},
                    language_for(user) if user else default_language,
                )
                send_email_on_commit([address], **parts)
                if user is not None:
                    notify([user], INVITED.code, actor=actor, activity=activity,
                           url=reverse("groups:accept", args=[token]), group=locked.name)
    except Exception:
        ALLOWANCE.give_back(actor, len(todo))
        raise
    return InviteResult(sent, sorted(members))


def revoke(actor: Any, group: Group, invitation_id: int) -> GroupInvitation:
    if not policies.can_invite(actor, group):
        raise PermissionDenied
    with transaction.atomic():
        invitation = GroupInvitation.objects.select_for_update().get(pk=invitation_id, group=group)
        if invitation.state() != "open":
            raise ValidationError(_("This invitation is no longer pending."), code="not_open")
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record(actor, "group.invitation_revoked", group, group=group, name=group.name, invitation_id=invitation.pk)
    return invitation


def find(token: str) -> GroupInvitation | None:
    if not token or len(token) > 100:
        return None
    return GroupInvitation.objects.select_related("group").filter(token_hash=hash_token(token)).first()


def refusal_for(invitation: GroupInvitation | None) -> InvitationRefused | None:
    if invitation is None:
        return InvitationRefused(400, _("This invitation link is not valid: check that you copied all of it."),
                                 "unknown")
    state = invitation.state()
    if state == "accepted":
        return InvitationRefused(400, _("This invitation has already been used."), state)
    if state == "revoked":
        return InvitationRefused(410, _("This invitation was withdrawn. Ask the group's animators for a new one."),
                                 state)
    if state == "expired":
        return InvitationRefused(410, _("This invitation has expired. Ask the group's animators for a new one."),
                                 state)
    if invitation.group.is_archived:
        return InvitationRefused(410, _("This group is archived: it no longer takes new members."), "archived")
    return None


def accept(user: Any, token: str) -> GroupMembership:
    """Join the inviting group (whatever its visibility: the invitation is the way into private
    groups). Raises ``InvitationRefused``; nothing changes then."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied
    with transaction.atomic():
        invitation = find(token)
        if invitation is not None:
            invitation = GroupInvitation.objects.select_for_update(of=("self",)).select_related("group").get(
                pk=invitation.pk
            )
        refusal = refusal_for(invitation)
        if refusal is not None:
            raise refusal
        assert invitation is not None
        group = Group.objects.select_for_update().get(pk=invitation.group_id)
        try:
            membership = add_member(group, user, actor=user, source=Source.INVITATION)
        except AlreadyMember:
            membership = GroupMembership.objects.get(group=group, user=user)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        record(user, "group.invitation_accepted", group, group=group, name=group.name, invitation_id=invitation.pk)
    policies.forget(user)
    return membership
