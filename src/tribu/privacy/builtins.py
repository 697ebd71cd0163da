"""The personal-data parts of the apps that exist today (imported once by ``PrivacyConfig.ready``).

Each exporter reads the member's own rows; each eraser removes (or detaches) them."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from .registry import register_eraser, register_exporter, register_files


def _account(user: Any) -> dict[str, Any]:
    from allauth.account.models import EmailAddress

    return {
        "id": user.pk,
        "email": user.email,
        "display_name": user.display_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "language": user.language,
        "time_zone": user.time_zone,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "charter_accepted_at": user.charter_accepted_at,
        "email_addresses": list(
            EmailAddress.objects.filter(user=user).order_by("pk").values("email", "primary", "verified")
        ),
    }


def _profile(user: Any) -> dict[str, Any] | None:
    from tribu.accounts.models import Profile

    profile = Profile.objects.filter(user=user).prefetch_related("skills", "interests").first()
    if profile is None:
        return None
    return {
        "photo": profile.photo.name or None,
        "job_title": profile.job_title,
        "organisation": profile.organisation,
        "bio": profile.bio,
        "skills": [t.name for t in profile.skills.all()],
        "interests": [t.name for t in profile.interests.all()],
        "city": profile.city,
        "region": profile.region,
        "country": profile.country,
        "languages": profile.languages,
        "website": profile.website,
        "social_links": profile.social_links,
        "field_visibility": profile.field_visibility,
        "hidden_from_directory": profile.hidden_from_directory,
        "last_active_at": profile.last_active_at,
        "updated_at": profile.updated_at,
    }


def _custom_fields(user: Any) -> list[dict[str, Any]]:
    from tribu.accounts.models import CustomFieldValue

    return [
        {"key": v.field.key, "label": v.field.label, "value": v.value, "file": v.file.name or None,
         "updated_at": v.updated_at}
        for v in CustomFieldValue.objects.filter(user=user).select_related("field").order_by("field__position", "pk")
    ]


def _memberships(user: Any) -> list[dict[str, Any]]:
    from tribu.core.models import Activity
    from tribu.memberships.models import Membership

    memberships = list(Membership.objects.filter(user=user).select_related("tier").order_by("starts_on", "pk"))
    history: dict[str, list[dict[str, Any]]] = {}
    if memberships:
        ct = ContentType.objects.get_for_model(Membership)
        for a in Activity.objects.filter(target_type=ct, target_id__in=[str(m.pk) for m in memberships]).order_by(
            "created_at", "pk"
        ):
            history.setdefault(a.target_id, []).append({"verb": a.verb, "at": a.created_at, "data": a.data})
    return [
        {"tier": m.tier.slug, "tier_name": m.tier.name, "status": m.status, "starts_on": m.starts_on,
         "ends_on": m.ends_on, "trial": m.is_trial, "source": m.source, "created_at": m.created_at,
         "history": history.get(str(m.pk), [])}
        for m in memberships
    ]


def _company(user: Any) -> dict[str, Any] | None:
    from tribu.companies.models import CompanyMember

    attachment = CompanyMember.objects.filter(user=user).select_related("company").first()
    if attachment is None:
        return None
    return {"company": attachment.company.name, "siret": attachment.company.siret,
            "is_contact": attachment.is_contact, "joined_at": attachment.joined_at}


def _consents(user: Any) -> list[dict[str, Any]]:
    from .models import Consent

    return list(Consent.objects.filter(user=user).order_by("created_at", "pk").values(
        "kind", "granted", "version", "text", "created_at"
    ))


def _notifications(user: Any) -> dict[str, Any]:
    from tribu.core.models import Notification, NotificationPreference

    return {
        "received": list(Notification.objects.filter(recipient=user).order_by("created_at", "pk").values(
            "kind", "url", "data", "created_at", "read_at", "emailed_at"
        )),
        "preferences": list(
            NotificationPreference.objects.filter(user=user).order_by("kind").values("kind", "channel")
        ),
    }


def _activities(user: Any) -> list[dict[str, Any]]:
    from tribu.core.models import Activity

    return [
        {"verb": a.verb, "at": a.created_at, "target": f"{a.target_type.model}:{a.target_id}" if a.target_type else "",
         "group": a.group_id, "data": a.data}
        for a in Activity.objects.filter(actor=user).select_related("target_type").order_by("created_at", "pk")
    ]


def _api_tokens(user: Any) -> list[dict[str, Any]]:
    from tribu.api.models import PersonalAccessToken

    return list(PersonalAccessToken.objects.filter(user=user).order_by("created_at").values(
        "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"
    ))


def _sessions(user: Any) -> list[dict[str, Any]]:
    from allauth.usersessions.models import UserSession

    return list(UserSession.objects.filter(user=user).order_by("created_at").values(
        "ip", "user_agent", "created_at", "last_seen_at"
    ))


def _erasure_requests(user: Any) -> list[dict[str, Any]]:
    from .models import ErasureRequest

    return list(ErasureRequest.objects.filter(user=user).values("status", "from_member", "created_at", "processed_at"))


def _files(user: Any) -> list[tuple[str, Any]]:
    from tribu.accounts.models import CustomFieldValue, Profile

    files: list[tuple[str, Any]] = []
    profile = Profile.objects.filter(user=user).first()
    if profile is not None and profile.photo:
        files.append((f"photo/{profile.photo.name.rsplit('/', 1)[-1]}", profile.photo))
    for value in CustomFieldValue.objects.filter(user=user).exclude(file="").select_related("field"):
        files.append((f"custom-fields/{value.field.key}/{value.file.name.rsplit('/', 1)[-1]}", value.file))
    return files


# --- Erasers: run inside the erasure's transaction, before the user row is anonymised ------------------

def stored_files(user: Any) -> list[tuple[Any, str]]:
    """(storage, name) of every uploaded file to delete once the erasure has committed."""
    from tribu.accounts.models import CustomFieldValue, Profile

    names = []
    profile = Profile.objects.filter(user=user).first()
    if profile is not None:
        for f in (profile.photo, profile.photo_thumbnail):
            if f:
                names.append((f.storage, f.name))
    for value in CustomFieldValue.objects.filter(user=user).exclude(file=""):
        names.append((value.file.storage, value.file.name))
    return names


def _erase_accounts(user: Any) -> None:
    from tribu.accounts.models import CustomFieldValue, Profile

    CustomFieldValue.objects.filter(user=user).delete()
    Profile.objects.filter(user=user).delete()  # its skill and interest links go with it


def _erase_company(user: Any) -> None:
    from tribu.companies.models import CompanyInvitation, CompanyMember

    CompanyMember.objects.filter(user=user).delete()
    CompanyInvitation.objects.filter(email__iexact=user.email).delete()


def _erase_memberships(user: Any) -> None:
    """Memberships stay for the accounts (tier, dates, payments) but a current one ends now."""
    from tribu.memberships.models import CURRENT_STATUSES, Membership, MembershipStatus

    Membership.objects.filter(user=user, status__in=CURRENT_STATUSES).update(
        status=MembershipStatus.CANCELLED, cancelled_at=timezone.now(), updated_at=timezone.now()
    )


def _erase_core(user: Any) -> None:
    from tribu.core.models import Activity, Notification, NotificationPreference

    Notification.objects.filter(recipient=user).delete()
    NotificationPreference.objects.filter(user=user).delete()
    # Activities stay (the community's history) but lose any copy of the address in their data.
    words = [w for w in {user.email, user.display_name, user.get_full_name()} if w and len(w) >= 4]
    if words:
        condition = Q()
        for word in words:
            condition |= Q(text__icontains=word)
        rows = Activity.objects.annotate(text=Cast("data", TextField())).filter(condition)
        for activity in rows:
            activity.data = _scrub(activity.data, words)
            activity.save(update_fields=["data"])
    from django.contrib.admin.models import LogEntry

    LogEntry.objects.filter(object_repr__icontains=user.email).update(object_repr="—")


def _scrub(value: Any, words: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v, words) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, words) for v in value]
    if isinstance(value, str) and any(w.lower() in value.lower() for w in words):
        return ""
    return value


def _erase_access(user: Any) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    from tribu.api.models import PersonalAccessToken

    PersonalAccessToken.objects.filter(user=user).delete()
    for session in UserSession.objects.filter(user=user):
        session.end()  # removes the session from the session store, then the row
    UserSession.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()


def _erase_privacy(user: Any) -> None:
    from .models import Consent

    Consent.objects.filter(user=user).delete()


register_exporter("account", _account)
register_exporter("profile", _profile)
register_exporter("custom_fields", _custom_fields)
register_exporter("memberships", _memberships)
register_exporter("company", _company)
register_exporter("consents", _consents)
register_exporter("notifications", _notifications)
register_exporter("activities", _activities)
register_exporter("api_tokens", _api_tokens)
register_exporter("sessions", _sessions)
register_exporter("erasure_requests", _erasure_requests)
register_files("accounts", _files)

register_eraser("accounts", _erase_accounts)
register_eraser("companies", _erase_company)
register_eraser("memberships", _erase_memberships)
register_eraser("core", _erase_core)
register_eraser("access", _erase_access)
register_eraser("privacy", _erase_privacy)
