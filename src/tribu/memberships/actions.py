"""Every write on tiers and memberships. Each action checks the permission, validates, writes in one
transaction under a row lock, records the activity (the membership's history) and sends emails,
notifications and the directory refresh after the commit.

By hand (the team, a reason required): ``grant``, ``extend``, ``change_tier``, ``cancel``,
``activate`` (a pending membership). By the member: ``choose_tier``. Tiers (admins): ``create_tier``,
``update_tier``, ``move_tier``, ``archive_tier``, ``restore_tier``, ``set_area_restriction``.
The lifecycle (grace, expiry, end of trials) lives in ``lifecycle.py``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tribu.accounts.models import Role, User
from tribu.core.activity import record

from . import access, periods, policies
from .models import CURRENT_STATUSES, GRANTING_STATUSES, AreaRestriction, Membership, MembershipStatus, Period, Tier
from .money import validate_currency

# --- helpers ------------------------------------------------------------------------------------------


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": [_("Say why: the reason is kept in the membership's history.")]})
    return text[:500]


def _today() -> date:
    return timezone.localdate()


def tier_data(tier: Tier, prefix: str = "tier") -> dict[str, Any]:
    return {f"{prefix}_fr": tier.name_fr, f"{prefix}_en": tier.name_en or tier.name_fr, f"{prefix}_id": tier.pk}


def covered_user_ids(membership: Membership) -> list[int]:
    """Whose access this membership decides: its member, or the members attached to its company."""
    if membership.user_id:
        return [membership.user_id]
    from tribu.companies.models import CompanyMember

    return list(CompanyMember.objects.filter(company_id=membership.company_id).values_list("user_id", flat=True))


def recipients(membership: Membership) -> list[User]:
    """Who hears about it: the member, or the company's contacts."""
    if membership.user_id:
        return [membership.user]
    return list(User.objects.filter(company_attachment__company_id=membership.company_id,
                                    company_attachment__is_contact=True, is_active=True))


def _log(actor: Any, verb: str, membership: Membership, *, old_status: str = "", reason: str = "",
         **extra: Any) -> Any:
    return record(
        actor,
        verb,
        membership,
        reason=reason,
        old_status=old_status,
        new_status=membership.status,
        ends_on=membership.ends_on.isoformat() if membership.ends_on else "",
        holder="user" if membership.user_id else "company",
        **tier_data(membership.tier),
        **extra,
    )


EMAIL_OF = {
    "granted": "granted",
    "chosen": "granted",
    "activated": "granted",
    "extended": "changed",
    "tier_changed": "changed",
    "cancelled": "cancelled",
    "trial_ended": "trial_ended",
}


def tell(actor: Any, membership: Membership, event: str, *, activity: Any = None, email: bool = True,
         **context: Any) -> None:
    """Email (after the commit) and notify the people the membership concerns. The email is rendered by
    its job (``tasks.send_membership_email``, from ids and the membership's state now), not inside the
    caller's transaction."""
    from tribu.core.notifications.actions import notify

    from .notifications import CODE
    from .tasks import portable, send_membership_email, snapshot

    people = [u for u in recipients(membership) if u.is_active and u.email]
    if not people:
        return
    if email and event in EMAIL_OF:
        template, state = f"memberships/emails/{EMAIL_OF[event]}", snapshot(membership)
        extra = {key: portable(value) for key, value in context.items()}
        for person in people:
            transaction.on_commit(lambda pk=person.pk: send_membership_email.enqueue(
                pk, membership.pk, template, event, state, extra))
    notify(people, CODE, actor=actor, activity=activity, url=reverse("memberships:mine"), event=event,
           **tier_data(membership.tier))


def _after(membership: Membership) -> None:
    from tribu.accounts.changes import members_changed

    members_changed(covered_user_ids(membership))
    if membership.user_id:
        access.forget(membership.user)


def promote_guest(actor: Any, membership: Membership) -> bool:
    """A guest whose membership of a non-guest tier becomes active is a member from now on.

    Done here rather than through ``accounts.actions.change_role``: that action is for admins only,
    while this promotion follows from a transition the team (or the lifecycle) is allowed to make;
    it is recorded with the same ``member.role_changed`` verb in the audit log."""
    if not membership.user_id or membership.status != MembershipStatus.ACTIVE or membership.tier.is_guest:
        return False
    changed = User.objects.filter(pk=membership.user_id, role=Role.GUEST).update(role=Role.MEMBER)
    if changed:
        membership.user.role = Role.MEMBER
        record(actor, "member.role_changed", membership.user, audit=True, old=Role.GUEST, new=Role.MEMBER,
               via="membership", membership_id=membership.pk)
    return bool(changed)


def _lock_holder(user: Any = None, company: Any = None) -> None:
    if user is not None:
        User.objects.select_for_update().only("pk").get(pk=user.pk)
    else:
        from tribu.companies.models import Company

        Company.objects.select_for_update().only("pk").get(pk=company.pk)


def current_membership(*, user: Any = None, company: Any = None, lock: bool = False) -> Membership | None:
    rows = Membership.objects.filter(status__in=CURRENT_STATUSES).select_related("tier", "user", "company")
    if lock:
        rows = rows.select_for_update(of=("self",))
    rows = rows.filter(user=user) if user is not None else rows.filter(company=company)
    return rows.first()


def _lock(membership: Membership) -> Membership:
    return Membership.objects.select_for_update(of=("self",)).select_related("tier", "user", "company").get(
        pk=membership.pk
    )


def _check_tier_for(tier: Tier, *, user: Any, company: Any) -> None:
    if not tier.active:
        raise ValidationError({"tier": [_("This tier is archived.")]})
    if company is not None and not tier.is_company_tier:
        raise ValidationError({"tier": [_("A company needs a tier with seats.")]})
    if user is not None and tier.is_company_tier:
        raise ValidationError({"tier": [_("This tier is for companies: grant it to the member's company.")]})


# --- memberships by hand -----------------------------------------------------------------------------


def grant(actor: Any, *, tier: Tier, reason: str, user: Any = None, company: Any = None,
          starts_on: date | None = None, ends_on: date | None = None) -> Membership:
    """Give a member (``user``) or a company a membership, active from ``starts_on`` (today)."""
    if not policies.can_manage_memberships(actor):
        raise PermissionDenied
    if (user is None) == (company is None):
        raise ValidationError(_("Choose either a member or a company."))
    reason = _reason(reason)
    _check_tier_for(tier, user=user, company=company)
    start = starts_on or _today()
    trial = bool(tier.is_guest and tier.trial_days)
    end = ends_on if ends_on is not None else periods.end_date(tier, start, trial=trial)
    if end is not None and end < start:
        raise ValidationError({"ends_on": [_("The end date cannot be before the start date.")]})
    try:
        with transaction.atomic():
            _lock_holder(user, company)
            if current_membership(user=user, company=company) is not None:
                raise ValidationError(
                    _("There is already a current membership: extend it, change its tier or cancel it first.")
                )
            membership = Membership.objects.create(
                user=user, company=company, tier=tier, status=MembershipStatus.ACTIVE,
                starts_on=start, ends_on=end, is_trial=trial, source="manual",
            )
            activity = _log(actor, "membership.granted", membership, reason=reason)
            promote_guest(actor, membership)
            tell(actor, membership, "granted", activity=activity, reason=reason)
            _after(membership)
    except IntegrityError:
        raise ValidationError(
            _("There is already a current membership: extend it, change its tier or cancel it first.")
        ) from None
    return membership


def extend(actor: Any, membership: Membership, *, reason: str, to: date | None = None) -> Membership:
    """One more period (or up to ``to``). A membership in its grace period becomes active again."""
    if not policies.can_manage_memberships(actor):
        raise PermissionDenied
    reason = _reason(reason)
    with transaction.atomic():
        locked = _lock(membership)
        if locked.status not in CURRENT_STATUSES:
            raise ValidationError(_("Only a current membership can be extended; grant a new one instead."))
        if locked.status == MembershipStatus.PENDING:
            raise ValidationError(_("Activate this pending membership first."))
        new_end = to if to is not None else periods.extend(
            locked.tier, locked.ends_on, starts_on=locked.starts_on, today=_today()
        )
        if new_end is None and locked.ends_on is None:
            raise ValidationError(_("This membership has no end date: there is nothing to extend."))
        if new_end is not None and locked.ends_on is not None and new_end <= locked.ends_on:
            raise ValidationError({"to": [_("Choose a date after the current end date.")]})
        if new_end is not None and new_end < _today():
            raise ValidationError({"to": [_("Choose a date in the future.")]})
        old = locked.status
        locked.ends_on = new_end
        locked.status = MembershipStatus.ACTIVE
        locked.is_trial = locked.is_trial and locked.tier.is_guest
        locked.save(update_fields=["ends_on", "status", "is_trial", "updated_at"])
        activity = _log(actor, "membership.extended", locked, old_status=old, reason=reason)
        tell(actor, locked, "extended", activity=activity, reason=reason)
        _after(locked)
    return locked


def change_tier(actor: Any, membership: Membership, *, tier: Tier, reason: str,
                ends_on: date | None = None) -> Membership:
    """Move a current membership to another tier, keeping its dates unless ``ends_on`` is given."""
    if not policies.can_manage_memberships(actor):
        raise PermissionDenied
    reason = _reason(reason)
    with transaction.atomic():
        locked = _lock(membership)
        if locked.status not in CURRENT_STATUSES:
            raise ValidationError(_("Only a current membership can change tier; grant a new one instead."))
        if locked.tier_id == tier.pk:
            raise ValidationError({"tier": [_("The membership already has this tier.")]})
        _check_tier_for(tier, user=locked.user, company=locked.company)
        old_tier = locked.tier
        old = locked.status
        locked.tier = tier
        if ends_on is not None:
            locked.ends_on = ends_on
        elif locked.ends_on is None and locked.starts_on:
            locked.ends_on = periods.end_date(tier, _today(), trial=False)
        if tier.period in (Period.LIFETIME, Period.FREE) and ends_on is None and not tier.is_guest:
            locked.ends_on = None
        locked.is_trial = bool(tier.is_guest and tier.trial_days and locked.is_trial)
        if locked.status == MembershipStatus.GRACE and (locked.ends_on is None or locked.ends_on >= _today()):
            locked.status = MembershipStatus.ACTIVE
        locked.save(update_fields=["tier", "ends_on", "is_trial", "status", "updated_at"])
        activity = _log(actor, "membership.tier_changed", locked, old_status=old, reason=reason,
                        **tier_data(old_tier, "old_tier"))
        promote_guest(actor, locked)
        tell(actor, locked, "tier_changed", activity=activity, reason=reason, old_tier=old_tier)
        _after(locked)
    return locked


def cancel(actor: Any, membership: Membership, *, reason: str) -> Membership:
    if not policies.can_manage_memberships(actor):
        raise PermissionDenied
    reason = _reason(reason)
    with transaction.atomic():
        locked = _lock(membership)
        if locked.status not in CURRENT_STATUSES:
            raise ValidationError(_("This membership is already over."))
        old = locked.status
        locked.status = MembershipStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["status", "cancelled_at", "updated_at"])
        activity = _log(actor, "membership.cancelled", locked, old_status=old, reason=reason)
        tell(actor, locked, "cancelled", activity=activity, reason=reason)
        _after(locked)
    return locked


def activate(actor: Any, membership: Membership, *, reason: str) -> Membership:
    """A pending membership (a paid tier a member chose) becomes active from today."""
    if not policies.can_manage_memberships(actor):
        raise PermissionDenied
    reason = _reason(reason)
    with transaction.atomic():
        locked = _lock(membership)
        if locked.status != MembershipStatus.PENDING:
            raise ValidationError(_("Only a pending membership can be activated."))
        start = _today()
        locked.status = MembershipStatus.ACTIVE
        locked.starts_on = start
        locked.ends_on = periods.end_date(locked.tier, start, trial=locked.is_trial)
        locked.save(update_fields=["status", "starts_on", "ends_on", "updated_at"])
        activity = _log(actor, "membership.activated", locked, old_status=MembershipStatus.PENDING, reason=reason)
        promote_guest(actor, locked)
        tell(actor, locked, "activated", activity=activity, reason=reason)
        _after(locked)
    return locked


# --- the member's own choice -------------------------------------------------------------------------


def choose_tier(user: Any, tier: Tier) -> Membership:
    """A member picks a self-selectable tier. Free tiers and guest trials start at once; a paid tier
    waits (``pending``) until the team activates it (online payment comes later). Whoever already
    holds a current membership changes it through the team."""
    if not policies.can_choose_tier(user, tier):
        raise PermissionDenied
    trial = bool(tier.is_guest and tier.trial_days)
    starts_now = tier.price_cents == 0 or trial
    start = _today()
    try:
        with transaction.atomic():
            _lock_holder(user=user)
            if current_membership(user=user) is not None:
                raise ValidationError(
                    _("You already have a current membership. Write to the community team to change it.")
                )
            if trial and Membership.objects.filter(user=user, tier=tier, is_trial=True).exists():
                raise ValidationError(_("You have already had this trial."))
            membership = Membership.objects.create(
                user=user, tier=tier,
                status=MembershipStatus.ACTIVE if starts_now else MembershipStatus.PENDING,
                starts_on=start if starts_now else None,
                ends_on=periods.end_date(tier, start, trial=trial) if starts_now else None,
                is_trial=trial, source="signup",
            )
            activity = _log(user, "membership.chosen", membership)
            promote_guest(user, membership)
            tell(None, membership, "chosen", activity=activity, pending=not starts_now)
            _after(membership)
    except IntegrityError:
        raise ValidationError(
            _("You already have a current membership. Write to the community team to change it.")
        ) from None
    return membership


# --- tiers (admins) ------------------------------------------------------------------------------------

TIER_FIELDS = (
    "name_fr", "name_en", "description_fr", "description_en", "price_cents", "currency", "period",
    "calendar_start_month", "is_guest", "trial_days", "downgrade_to", "seats", "grace_days", "self_selectable",
)


def check_tier(tier: Tier) -> None:
    errors: dict[str, list[str]] = {}
    if not (tier.name_fr or "").strip():
        errors["name_fr"] = [_("Give the tier a name.")]
    try:
        tier.currency = validate_currency(tier.currency)
    except ValidationError as exc:
        errors["currency"] = list(exc.messages)
    if tier.period not in Period.values:
        errors["period"] = [_("Choose a period.")]
    if not 1 <= int(tier.calendar_start_month or 0) <= 12:
        errors["calendar_start_month"] = [_("Choose a month.")]
    if tier.is_guest and not tier.trial_days:
        errors["trial_days"] = [_("A guest tier needs a trial length.")]
    if tier.is_guest and tier.seats:
        errors["seats"] = [_("A guest tier cannot have seats.")]
    if tier.period == Period.FREE and tier.price_cents:
        errors["price_cents"] = [_("A free tier has no price.")]
    if tier.downgrade_to_id and (not tier.is_guest or tier.downgrade_to_id == tier.pk):
        errors["downgrade_to"] = [_("Only a guest tier moves to another tier after its trial.")]
    if tier.downgrade_to is not None and tier.downgrade_to.is_company_tier:
        errors["downgrade_to"] = [_("A trial cannot move a member to a company tier.")]
    if errors:
        raise ValidationError(errors)


def _unique_slug(name: str, exclude: int | None = None) -> str:
    base = slugify(name)[:50] or "tier"
    slug, n = base, 2
    while Tier.objects.filter(slug=slug).exclude(pk=exclude).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_tier(actor: Any, **values: Any) -> Tier:
    if not policies.can_manage_tiers(actor):
        raise PermissionDenied
    tier = Tier(**{k: v for k, v in values.items() if k in TIER_FIELDS})
    check_tier(tier)
    with transaction.atomic():
        last = Tier.objects.order_by("-position").values_list("position", flat=True).first()
        tier.position = (last or 0) + 1
        tier.slug = _unique_slug(tier.name_fr)
        tier.save()
        record(actor, "tier.created", tier, audit=True, **tier_data(tier))
    return tier


def update_tier(actor: Any, tier: Tier, **values: Any) -> Tier:
    if not policies.can_manage_tiers(actor):
        raise PermissionDenied
    for key, value in values.items():
        if key in TIER_FIELDS:
            setattr(tier, key, value)
    check_tier(tier)
    with transaction.atomic():
        Tier.objects.select_for_update().filter(pk=tier.pk).first()
        tier.save(update_fields=[k for k in values if k in TIER_FIELDS] or None)
        record(actor, "tier.updated", tier, audit=True, **tier_data(tier), fields=sorted(values))
        _refresh_holders_of(tier)
    access.forget_area_rules()
    return tier


def _refresh_holders_of(tier: Tier) -> None:
    """Seats or names changed: the directory shows tiers, so its entries are refreshed."""
    from tribu.accounts.changes import members_changed
    from tribu.companies.models import CompanyMember

    rows = Membership.objects.filter(tier=tier, status__in=GRANTING_STATUSES)
    ids = set(rows.filter(user__isnull=False).values_list("user_id", flat=True))
    ids |= set(CompanyMember.objects.filter(company__memberships__in=rows.filter(company__isnull=False))
               .values_list("user_id", flat=True))
    members_changed(ids)


def move_tier(actor: Any, tier: Tier, direction: str) -> None:
    """Move a tier one place up or down in the list members see."""
    if not policies.can_manage_tiers(actor):
        raise PermissionDenied
    if direction not in {"up", "down"}:
        raise ValidationError(_("Unknown direction."))
    with transaction.atomic():
        tiers = list(Tier.objects.select_for_update().order_by("position", "id"))
        index = next((i for i, t in enumerate(tiers) if t.pk == tier.pk), None)
        if index is None:
            raise ValidationError(_("Unknown tier."))
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(tiers):
            return
        tiers[index], tiers[other] = tiers[other], tiers[index]
        for position, row in enumerate(tiers, start=1):
            if row.position != position:
                row.position = position
                row.save(update_fields=["position"])
        record(actor, "tier.moved", tier, audit=True, direction=direction)


def archive_tier(actor: Any, tier: Tier) -> Tier:
    """Archived: no new memberships, hidden from members; the current ones run on until they end."""
    return _set_active(actor, tier, False)


def restore_tier(actor: Any, tier: Tier) -> Tier:
    return _set_active(actor, tier, True)


def _set_active(actor: Any, tier: Tier, active: bool) -> Tier:
    if not policies.can_manage_tiers(actor):
        raise PermissionDenied
    with transaction.atomic():
        changed = Tier.objects.filter(pk=tier.pk, active=not active).update(active=active)
        tier.active = active
        if changed:
            record(actor, "tier.restored" if active else "tier.archived", tier, audit=True, **tier_data(tier))
    return tier


def set_area_restriction(actor: Any, area: str, tiers: list[Tier], mode: str) -> AreaRestriction:
    """Keep a community area (``directory``, ``companies``) for these tiers (none: open to all)."""
    from .models import Area, RestrictionMode

    if not policies.can_manage_tiers(actor):
        raise PermissionDenied
    if area not in Area.values:
        raise ValidationError({"area": [_("Unknown area.")]})
    if mode not in RestrictionMode.values:
        raise ValidationError({"mode": [_("Choose what people without the tier see.")]})
    with transaction.atomic():
        row, _created = AreaRestriction.objects.select_for_update().get_or_create(area=area)
        row.restriction_mode = mode
        row.save(update_fields=["restriction_mode", "updated_at"])
        row.required_tiers.set(tiers)
        record(actor, "area.restricted", row, audit=True, area=area, mode=mode, tier_ids=[t.pk for t in tiers])
        transaction.on_commit(access.forget_area_rules)
    access.forget_area_rules()
    return row
