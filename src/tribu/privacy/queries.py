"""Reads of personal data: consents as they stand and their history, erasure requests."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from .models import Consent, ConsentKind, ErasureRequest, ErasureStatus

TOGGLE_KINDS = (ConsentKind.NEWSLETTER, ConsentKind.EVENT_ANNOUNCEMENTS)


def current_consents(user: Any) -> dict[str, Consent | None]:
    """The latest record per kind (None: never asked)."""
    latest: dict[str, Consent | None] = {kind.value: None for kind in ConsentKind}
    for consent in Consent.objects.filter(user=user).order_by("-created_at", "-id"):
        if latest.get(consent.kind) is None:
            latest[consent.kind] = consent
    return latest


def has_consent(user: Any, kind: str) -> bool:
    """Whether the member's latest word on ``kind`` is "yes" (the mailing app asks this before sending)."""
    consent = Consent.objects.filter(user=user, kind=kind).order_by("-created_at", "-id").first()
    return bool(consent and consent.granted)


def consent_history(user: Any) -> QuerySet[Consent]:
    return Consent.objects.filter(user=user).order_by("-created_at", "-id")


def erasure_requests() -> QuerySet[ErasureRequest]:
    pending_first = Case(When(status=ErasureStatus.PENDING, then=Value(0)), default=Value(1),
                         output_field=IntegerField())
    return (
        ErasureRequest.objects.select_related("user", "requested_by", "processed_by")
        .annotate(pending_first=pending_first).order_by("pending_first", "-created_at", "-id")
    )


def pending_request_of(user: Any) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(user=user, status=ErasureStatus.PENDING).first()
