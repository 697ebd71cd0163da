"""Every write about companies: profile, partner levels, attached members, contacts, invitations.

Each action checks permission (``PermissionDenied``), validates (``ValidationError`` with field
messages), writes in one transaction, records the activity and leaves side effects (emails, the
directory index) to ``transaction.on_commit``. Seats are counted under a lock on the company row.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tribu.core import invitations as core_invitations
from tribu.core.activity import record
from tribu.core.community import get_community
from tribu.core.emails import render_email, send_email_on_commit

from . import policies
from .models import Company, CompanyInvitation, CompanyMember, PartnerLevel, invitation_state
from .validators import normalise_siret, normalise_vat, validate_siret, validate_vat

INVITATION_DAYS = 14
INVITATIONS_PER_DAY = 50
MAX_EMAILS_PER_INVITE = 50
RESERVED_SLUGS = {"manage", "partners", "invitations", "leave", "new", "api"}
COMPANY_FIELDS = (
    "name", "logo", "sector", "size", "address", "postcode", "city", "country", "website", "description",
    "siret", "vat_number", "partner_level", "page_visibility",
)
CONTACT_FIELDS = tuple(f for f in COMPANY_FIELDS if f != "partner_level")


class SeatsFull(ValidationError):
    """Every seat of the company's membership is taken."""


@dataclass
class InvitationRefused(Exception):
    """The invitation link cannot be used: ``status`` 400 (already used, wrong company) or 410 (gone)."""

    status: int
    message: str
    state: str = ""


InvitationsRateLimited = core_invitations.RateLimited


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refresh_directory(user_ids: list[int]) -> None:
    from tribu.accounts.changes import members_changed

    members_changed(user_ids)


# ---------------------------------------------------------------- companies


def unique_slug(name: str, exclude_pk: int | None = None) -> str:
    base = (slugify(name) or "entreprise")[:170].strip("-") or "entreprise"
    if base in RESERVED_SLUGS:
        base = f"{base}-company"
    slug, n = base, 2
    taken = Company.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_company(company: Company, fields: list[str] | tuple[str, ...]) -> None:
    errors: dict[str, list[str]] = {}
    company.name = " ".join((company.name or "").split())
    if not company.name:
        errors["name"] = [_("Enter the company's name.")]
    if "siret" in fields:
        company.siret = normalise_siret(company.siret)
        try:
            validate_siret(company.siret)
        except ValidationError as error:
            errors["siret"] = list(error.messages)
        else:
            if company.siret and Company.objects.filter(siret=company.siret).exclude(pk=company.pk).exists():
                errors["siret"] = [_("Another company already has this SIRET number.")]
    if "vat_number" in fields:
        company.vat_number = normalise_vat(company.vat_number)
        try:
            validate_vat(company.vat_number)
        except ValidationError as error:
            errors["vat_number"] = list(error.messages)
    try:
        company.full_clean(exclude=["slug", "logo", "siret"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def create_company(actor: Any, **values: Any) -> Company:
    if not policies.can_manage_companies(actor):
        raise PermissionDenied
    company = Company(**{k: v for k, v in values.items() if k in COMPANY_FIELDS})
    _clean_company(company, COMPANY_FIELDS)
    with transaction.atomic():
        company.slug = unique_slug(company.name)
        company.save()
        record(actor, "company.created", company, audit=True, name=company.name)
    return company


def update_company(actor: Any, company: Company, values: dict[str, Any]) -> list[str]:
    """Change these fields; contacts may change every field but the partner level. Returns what changed."""
    if not policies.can_edit_company(actor, company):
        raise PermissionDenied
    allowed = COMPANY_FIELDS if policies.can_set_partner_level(actor) else CONTACT_FIELDS
    refused = [k for k in values if k not in allowed]
    if refused:
        raise PermissionDenied(_("You may not change the partner level."))
    changed = []
    for field, value in values.items():
        current = getattr(company, f"{field}_id" if field == "partner_level" else field)
        new = value.pk if field == "partner_level" and value is not None else value
        if field == "logo":
            if value is None or value is False:
                if company.logo:
                    company.logo = ""
                    changed.append(field)
                continue
            if not hasattr(value, "read"):
                continue
            company.logo = value
            changed.append(field)
            continue
        if current != new:
            setattr(company, field, value)
            changed.append(field)
    if not changed:
        return []
    _clean_company(company, changed)
    with transaction.atomic():
        # The slug stays as it was when the name changes: links already shared keep working.
        company.save(update_fields=[*changed, "updated_at"])
        record(actor, "company.updated", company, audit=policies.can_manage_companies(actor),
               name=company.name, fields=changed)
    if "name" in changed:
        _refresh_directory(list(company.attachments.values_list("user_id", flat=True)))
    return changed


def delete_company(actor: Any, company: Company) -> None:
    """Delete a company (its attachments and invitations go with it). Refused while it holds a
    current membership, which would otherwise vanish with its history."""
    from tribu.memberships.models import CURRENT_STATUSES, Membership

    if not policies.can_manage_companies(actor):
        raise PermissionDenied
    if Membership.objects.filter(company=company, status__in=CURRENT_STATUSES).exists():
        raise ValidationError(
            _("%(name)s holds a current membership: end or cancel it before deleting the company.")
            % {"name": company.name},
            code="has_membership",
        )
    with transaction.atomic():
        user_ids = list(company.attachments.values_list("user_id", flat=True))
        record(actor, "company.deleted", None, audit=True, name=company.name, company_id=company.pk)
        company.delete()
        _refresh_directory(user_ids)


# ---------------------------------------------------------------- partner levels


def _clean_level(level: PartnerLevel) -> None:
    level.name_fr = (level.name_fr or "").strip()
    level.name_en = (level.name_en or "").strip()
    if not level.name_fr and not level.name_en:
        raise ValidationError({"name_fr": [_("Enter the level's name in French or in English.")]})
    level.full_clean()


def save_partner_level(actor: Any, level: PartnerLevel) -> PartnerLevel:
    if not policies.can_manage_companies(actor):
        raise PermissionDenied
    _clean_level(level)
    creating = level.pk is None
    with transaction.atomic():
        level.save()
        record(actor, "partner_level.created" if creating else "partner_level.updated", level, audit=True,
               name=level.name_fr or level.name_en)
    return level


def delete_partner_level(actor: Any, level: PartnerLevel) -> None:
    if not policies.can_manage_companies(actor):
        raise PermissionDenied
    with transaction.atomic():
        record(actor, "partner_level.deleted", None, audit=True, name=level.name_fr or level.name_en)
        level.delete()


# ---------------------------------------------------------------- seats and attachments


def seat_membership(company: Company) -> Any:
    """The company's current granting membership (active or in grace), or None."""
    from tribu.memberships.models import GRANTING_STATUSES, Membership

    return (
        Membership.objects.filter(company=company, status__in=GRANTING_STATUSES)
        .select_related("tier")
        .order_by("-created_at")
        .first()
    )


def _check_seat(company: Company) -> None:
    """Call with the company row locked: refuse when a seat-bearing membership is full."""
    membership = seat_membership(company)
    seats = membership.tier.seats if membership is not None else None
    if not seats:
        return
    used = CompanyMember.objects.filter(company=company).count()
    if used >= seats:
        raise SeatsFull(
            ngettext(
                "The only seat of %(company)s is taken: a contact must free it before someone else joins.",
                "All %(seats)d seats of %(company)s are taken: a contact must free one before someone else joins.",
                seats,
            )
            % {"seats": seats, "company": company.name},
            code="seats_full",
        )


def _lock(company: Company) -> Company:
    return Company.objects.select_for_update().get(pk=company.pk)


def _attach(company: Company, user: Any, *, is_contact: bool) -> CompanyMember:
    """Inside a transaction: lock the company, check the member is free and a seat is left, attach."""
    locked = _lock(company)
    existing = CompanyMember.objects.filter(user=user).select_related("company").first()
    if existing is not None:
        if existing.company_id == locked.pk:
            raise ValidationError(
                _("%(name)s is already attached to %(company)s.") % {"name": user.name, "company": locked.name},
                code="already_attached",
            )
        raise ValidationError(
            _("%(name)s is already attached to another company (%(other)s): they must leave it first.")
            % {"name": user.name, "other": existing.company.name},
            code="attached_elsewhere",
        )
    _check_seat(locked)
    try:
        with transaction.atomic():
            return CompanyMember.objects.create(company=locked, user=user, is_contact=is_contact)
    except IntegrityError:
        raise ValidationError(
            _("%(name)s is already attached to another company: they must leave it first.") % {"name": user.name},
            code="attached_elsewhere",
        ) from None


def attach_member(actor: Any, company: Company, user: Any, *, is_contact: bool = False) -> CompanyMember:
    """The team attaches a member to a company (refused when every seat is taken)."""
    if not policies.can_attach_members(actor):
        raise PermissionDenied
    if not user.is_active:
        raise ValidationError(_("This account is deactivated."), code="inactive")
    with transaction.atomic():
        attachment = _attach(company, user, is_contact=is_contact)
        record(actor, "company.member_attached", company, member_id=user.pk, member=user.name,
               name=company.name, audit=True)
        if is_contact:
            record(actor, "company.contact_added", company, member_id=user.pk, member=user.name,
                   name=company.name, audit=True)
        _refresh_directory([user.pk])
    return attachment


def remove_member(actor: Any, company: Company, user_id: int) -> None:
    """Detach a member (the team; a contact for a colleague who is not a contact)."""
    if not policies.can_manage_people(actor, company):
        raise PermissionDenied
    with transaction.atomic():
        locked = _lock(company)
        attachment = CompanyMember.objects.select_related("user").filter(company=locked, user_id=user_id).first()
        if attachment is None:
            raise CompanyMember.DoesNotExist
        if not policies.can_remove_member(actor, locked, attachment):
            raise PermissionDenied(_("Only the community team can remove a company contact."))
        attachment.delete()
        record(actor, "company.member_removed", locked, member_id=user_id, member=attachment.user.name,
               name=locked.name, audit=policies.can_manage_companies(actor))
        _refresh_directory([user_id])


def leave_company(user: Any) -> None:
    """A member detaches themselves from their company."""
    with transaction.atomic():
        attachment = CompanyMember.objects.select_related("company").filter(user=user).first()
        if attachment is None:
            raise CompanyMember.DoesNotExist
        company = _lock(attachment.company)
        attachment.delete()
        record(user, "company.member_left", company, member_id=user.pk, member=user.name, name=company.name)
        _refresh_directory([user.pk])


def set_contact(actor: Any, company: Company, user_id: int, is_contact: bool) -> CompanyMember:
    if not policies.can_set_contact(actor):
        raise PermissionDenied
    with transaction.atomic():
        attachment = (
            CompanyMember.objects.select_for_update().select_related("user").get(company=company, user_id=user_id)
        )
        if attachment.is_contact == is_contact:
            return attachment
        attachment.is_contact = is_contact
        attachment.save(update_fields=["is_contact"])
        record(actor, "company.contact_added" if is_contact else "company.contact_removed", company,
               member_id=user_id, member=attachment.user.name, name=company.name, audit=True)
    return attachment


# ---------------------------------------------------------------- invitations


def parse_emails(text: str) -> list[str]:
    """Addresses separated by commas, semicolons, spaces or new lines; duplicates dropped."""
    seen: dict[str, None] = {}
    for part in re.split(r"[\s,;]+", text or ""):
        part = part.strip().strip("<>").strip()
        if part:
            seen.setdefault(part.lower(), None)
    return list(seen)


def check_emails(emails: list[str]) -> list[str]:
    return core_invitations.check_emails(emails, most=MAX_EMAILS_PER_INVITE)


ALLOWANCE = core_invitations.DailyAllowance("companies", INVITATIONS_PER_DAY)


def invitations_left_today(actor: Any) -> int:
    return ALLOWANCE.left(actor)


def accept_url(token: str) -> str:
    return settings.SITE_URL + reverse("companies:accept", args=[token])


def invite_colleagues(actor: Any, company: Company, emails: list[str]) -> list[CompanyInvitation]:
    """Email an invitation link (valid 14 days) to each address. An address that already has an
    open invitation gets a fresh link (the old one stops working); an address of a member already
    attached to this company is refused. Raises ``InvitationsRateLimited`` past 50 a day per sender."""
    from tribu.accounts.models import User

    if not policies.can_invite(actor, company):
        raise PermissionDenied
    emails = check_emails([e.lower() for e in emails])
    attached = set(
        User.objects.filter(company_attachment__company=company, email__in=emails).values_list("email", flat=True)
    )
    attached |= {e.lower() for e in attached}
    already = [e for e in emails if e in attached]
    if already:
        raise ValidationError(
            {"emails": [_("%(email)s is already attached to this company.") % {"email": e} for e in already]}
        )
    ALLOWANCE.take(actor, len(emails))
    now = timezone.now()
    community = get_community()
    language = community.default_language or settings.LANGUAGE_CODE
    created = []
    try:
        with transaction.atomic():
            CompanyInvitation.objects.filter(
                company=company, email__in=emails, accepted_at__isnull=True, revoked_at__isnull=True
            ).update(revoked_at=now)
            for email in emails:
                token = secrets.token_urlsafe(32)
                invitation = CompanyInvitation.objects.create(
                    company=company, email=email, invited_by=actor, token_hash=hash_token(token),
                    expires_at=now + timedelta(days=INVITATION_DAYS),
                )
                invitation.token = token  # type: ignore[attr-defined] - only in memory, for the email and tests
                created.append(invitation)
                record(actor, "company.invitation_sent", company, name=company.name, invitation_id=invitation.pk)
                parts = render_email(
                    "companies/emails/invitation",
                    {
                        "company": company,
                        "inviter_name": actor.name,
                        "accept_url": accept_url(token),
                        "expires_at": invitation.expires_at,
                        "days": INVITATION_DAYS,
                    },
                    language,
                )
                send_email_on_commit([email], **parts)
    except Exception:
        ALLOWANCE.give_back(actor, len(emails))
        raise
    return created


def revoke_invitation(actor: Any, company: Company, invitation_id: int) -> CompanyInvitation:
    if not policies.can_invite(actor, company):
        raise PermissionDenied
    with transaction.atomic():
        invitation = CompanyInvitation.objects.select_for_update().get(pk=invitation_id, company=company)
        if invitation_state(invitation) != "open":
            raise ValidationError(_("This invitation is no longer pending."), code="not_open")
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record(actor, "company.invitation_revoked", company, name=company.name, invitation_id=invitation.pk)
    return invitation


def find_invitation(token: str) -> CompanyInvitation | None:
    if not token or len(token) > 100:
        return None
    return CompanyInvitation.objects.select_related("company").filter(token_hash=hash_token(token)).first()


def refusal_for(invitation: CompanyInvitation | None) -> InvitationRefused | None:
    """Why this invitation link cannot be used now, or None when it can."""
    if invitation is None:
        return InvitationRefused(
            400, _("This invitation link is not valid: check that you copied all of it."), "unknown"
        )
    state = invitation_state(invitation)
    if state == "accepted":
        return InvitationRefused(400, _("This invitation has already been used."), state)
    if state == "revoked":
        return InvitationRefused(
            410, _("This invitation was withdrawn. Ask a contact of the company for a new one."), state
        )
    if state == "expired":
        return InvitationRefused(
            410, _("This invitation has expired. Ask a contact of the company for a new one."), state
        )
    return None


def accept_invitation(user: Any, token: str) -> CompanyMember:
    """Attach ``user`` to the inviting company. Raises ``InvitationRefused`` (link unusable) or
    ``ValidationError`` (already attached elsewhere, every seat taken); nothing changes then."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied
    with transaction.atomic():
        invitation = find_invitation(token)
        if invitation is not None:
            # Lock the invitation row only: the company row is locked by ``_attach``, which counts seats.
            invitation = (
                CompanyInvitation.objects.select_for_update(of=("self",)).select_related("company").get(pk=invitation.pk)
            )
        refusal = refusal_for(invitation)
        if refusal is not None:
            raise refusal
        assert invitation is not None
        company = invitation.company
        attachment = _attach(company, user, is_contact=False)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        record(user, "company.invitation_accepted", company, name=company.name, invitation_id=invitation.pk)
        record(user, "company.member_attached", company, member_id=user.pk, member=user.name, name=company.name)
        _refresh_directory([user.pk])
    return attachment
