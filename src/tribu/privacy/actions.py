"""Writes on personal data: consents, the data archive, erasure requests and erasure itself."""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tribu.accounts.models import Role, User
from tribu.core.activity import record

from . import policies, registry
from .models import Consent, ConsentKind, ErasureRequest, ErasureStatus

# --- Consents -------------------------------------------------------------------------------------

def consent_text(kind: str) -> str:
    """The exact text a member agrees to, in the active language."""
    if kind == ConsentKind.CHARTER:
        from tribu.core.community import get_community

        return get_community().charter or _("I accept the community charter.")
    if kind == ConsentKind.PRIVACY:
        from tribu.core.community import get_community

        return get_community().privacy_policy or _("I have read the privacy policy.")
    if kind == ConsentKind.NEWSLETTER:
        return _("I would like to receive the community newsletter by email.")
    if kind == ConsentKind.EVENT_ANNOUNCEMENTS:
        return _("I would like to receive announcements of upcoming events by email.")
    raise ValueError(kind)


def text_version(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def record_consent(user: Any, kind: str, granted: bool = True, text: str | None = None) -> Consent:
    """One consent given or withdrawn, with the text agreed to and its version (SHA-256 of the text)."""
    if kind not in ConsentKind.values:
        raise ValidationError(_("Unknown kind of consent."))
    text = consent_text(kind) if text is None else text
    return Consent.objects.create(user=user, kind=kind, granted=granted, text=text, version=text_version(text))


def record_charter_consent(user: Any) -> Consent:
    """Called by ``accounts.actions.accept_charter``: the charter as it reads today."""
    return record_consent(user, ConsentKind.CHARTER, True)


def set_consents(user: Any, wanted: dict[str, bool]) -> list[Consent]:
    """Record the toggles that changed (the history keeps every grant and withdrawal)."""
    from .queries import TOGGLE_KINDS, current_consents

    if not policies.can_use_privacy_page(user):
        raise PermissionDenied
    written = []
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one change at a time per member
        current = current_consents(user)
        for kind in TOGGLE_KINDS:
            if kind not in wanted:
                continue
            before = current.get(kind)
            granted_now = bool(before and before.granted)
            if granted_now == bool(wanted[kind]):
                continue  # nothing changes (never asked counts as "no")
            written.append(record_consent(user, kind, bool(wanted[kind])))
        if written:
            record(user, "privacy.consents_changed", user, kinds=[c.kind for c in written])
    return written


# --- Data archive ---------------------------------------------------------------------------------

def export_my_data(user: Any) -> bytes:
    """The member's archive (zip of ``data.json`` and their files); the download is recorded."""
    if not policies.can_use_privacy_page(user):
        raise PermissionDenied
    archive = registry.build_archive(user)
    record(user, "privacy.exported", user)
    return archive


# --- Erasure --------------------------------------------------------------------------------------

def request_erasure(actor: Any, target: Any, note: str = "") -> ErasureRequest:
    """A member asks the team to erase their data, or the team enters a request someone sent them."""
    from_member = actor.pk == target.pk
    if from_member:
        if not policies.can_use_privacy_page(actor):
            raise PermissionDenied
    elif not policies.can_manage_erasures(actor):
        raise PermissionDenied
    if not target.is_active:
        raise ValidationError(_("This account has already been deleted."))
    try:
        with transaction.atomic():
            request = ErasureRequest.objects.create(user=target, requested_by=actor, from_member=from_member,
                                                    note=note[:2000])
            record(actor, "privacy.erasure_requested", request, audit=not from_member)
    except IntegrityError:
        raise ValidationError(_("A request to delete this account is already waiting.")) from None
    return request


def cancel_erasure_request(actor: Any, request: ErasureRequest) -> None:
    if not policies.can_manage_erasures(actor):
        raise PermissionDenied
    with transaction.atomic():
        updated = ErasureRequest.objects.filter(pk=request.pk, status=ErasureStatus.PENDING).update(
            status=ErasureStatus.CANCELLED, processed_at=timezone.now(), processed_by=actor
        )
        if updated:
            record(actor, "privacy.erasure_cancelled", request, audit=True)


def erase_own_account(user: Any, password: str) -> None:
    if not user.check_password(password or ""):
        raise ValidationError(_("The password is not right."))
    if not policies.can_erase_self(user):
        raise PermissionDenied(_("You are the last administrator: name another one before deleting your account."))
    _erase(user, actor=user)


def erase_member(actor: Any, target: Any) -> None:
    """The team processes a request: same erasure, recorded in the audit log."""
    if not policies.can_erase_member(actor, target):
        raise PermissionDenied
    _erase(target, actor=actor)


def former_member_name() -> str:
    from tribu.core.community import get_community

    with translation.override(get_community().default_language or "fr"):
        return _("Former member")


def _erase(user: Any, *, actor: Any) -> None:
    """Delete the member's personal data; keep the row (so their posts and the accounts still
    point somewhere) under an anonymous name, with no way to sign in."""
    from tribu.directory.index import refresh_on_commit

    from .builtins import stored_files

    by_team = actor.pk != user.pk
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active and locked.email.endswith("@invalid"):
            return  # already erased
        files = stored_files(locked)
        for eraser in registry.ERASERS.values():
            eraser(locked)
        locked.email = f"deleted-{locked.pk}@invalid"
        locked.display_name = former_member_name()
        locked.first_name = ""
        locked.last_name = ""
        locked.language = ""
        locked.time_zone = ""
        locked.role = Role.MEMBER
        locked.is_active = False
        locked.is_staff = False
        locked.is_superuser = False
        locked.last_login = None
        locked.charter_accepted_at = None
        locked.set_unusable_password()
        locked.save()
        now = timezone.now()
        ErasureRequest.objects.filter(user=locked, status=ErasureStatus.PENDING).update(
            status=ErasureStatus.DONE, processed_at=now, processed_by=actor if by_team else None
        )
        # No personal data in the record: who is erased is only the anonymous row's id.
        record(actor if by_team else None, "member.erased", locked, audit=by_team, by_team=by_team)
        refresh_on_commit([locked.pk])

        def delete_files() -> None:
            for storage, name in files:
                with contextlib.suppress(OSError):
                    storage.delete(name)

        transaction.on_commit(delete_files)
    user.refresh_from_db()
