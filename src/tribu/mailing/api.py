"""API v1 of the mailing app (mounted at ``/api/v1/``):

- ``GET|PATCH /mailing/subscriptions`` — the caller's own email subscriptions (newsletter, event
  announcements, digests, campaigns) and whether their address is suppressed;
- ``GET /mailing/suppressions?q=&lifted=`` — the suppression list with the reason (the team);
- ``POST /mailing/suppressions`` — stop all email to an address (the team; 409 when already there);
- ``DELETE /mailing/suppressions/{id}`` — lift a suppression (the team).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from tribu.api.errors import ApiError
from tribu.api.pagination import PageNumberPagination
from tribu.api.schemas import ErrorOut

from . import actions, consent, policies, queries
from .models import EmailSuppression, SuppressionReason

router = Router(tags=["mailing"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


class SubscriptionsOut(Schema):
    newsletter: bool
    event_announcements: bool
    digests: bool
    campaigns: bool
    suppressed: bool = Field(description="True: the address is on the suppression list and receives nothing.")


class SubscriptionsPatch(Schema):
    newsletter: bool | None = None
    event_announcements: bool | None = None
    digests: bool | None = None
    campaigns: bool | None = None


class SuppressionOut(Schema):
    id: int
    email: str
    reason: str
    reason_label: str
    detail: str
    source: str
    created_at: datetime
    lifted_at: datetime | None

    @staticmethod
    def resolve_reason_label(obj: Any) -> str:
        if isinstance(obj, dict):
            return obj["reason_label"]
        return str(obj.get_reason_display())


class SuppressionIn(Schema):
    email: str = Field(max_length=254)
    detail: str = Field("", max_length=500)


def _subscriptions(user: Any) -> dict[str, Any]:
    return {**consent.subscriptions(user), "suppressed": consent.is_suppressed(user.email)}


def _suppression_out(row: EmailSuppression) -> dict[str, Any]:
    return {
        "id": row.pk, "email": row.email, "reason": row.reason, "reason_label": str(row.get_reason_display()),
        "detail": row.detail, "source": row.source, "created_at": row.created_at, "lifted_at": row.lifted_at,
    }


def _team(request: HttpRequest) -> None:
    if not policies.can_manage_suppressions(request.user):
        raise PermissionDenied


@router.get("/mailing/subscriptions", response={200: SubscriptionsOut, **ERRORS}, summary="My email subscriptions")
def my_subscriptions(request: HttpRequest) -> dict[str, Any]:
    if not policies.can_use_preferences(request.user):
        raise PermissionDenied
    return _subscriptions(request.user)


@router.patch("/mailing/subscriptions", response={200: SubscriptionsOut, 422: ErrorOut, **ERRORS},
              summary="Change my email subscriptions")
def change_subscriptions(request: HttpRequest, payload: SubscriptionsPatch) -> dict[str, Any]:
    if not policies.can_use_preferences(request.user):
        raise PermissionDenied
    wanted = {k: v for k, v in payload.dict().items() if v is not None}
    actions.update_subscriptions(request.user, wanted, source="api")
    return _subscriptions(request.user)


@router.get("/mailing/suppressions", response={200: list[SuppressionOut], **ERRORS},
            summary="Addresses that receive nothing, and why")
@paginate(PageNumberPagination)
def list_suppressions(request: HttpRequest, q: str = "", lifted: bool = False) -> Any:
    """``q``: part of the address or of the detail; ``lifted=true``: include lifted suppressions."""
    _team(request)
    return queries.suppressions(q[:200], include_lifted=lifted)


@router.post("/mailing/suppressions", response={201: SuppressionOut, 409: ErrorOut, 422: ErrorOut, **ERRORS},
             summary="Stop all email to an address")
def add_suppression(request: HttpRequest, payload: SuppressionIn) -> Status[dict[str, Any]]:
    _team(request)
    row = actions.suppress(payload.email, SuppressionReason.MANUAL, detail=payload.detail, source="api",
                           actor=request.user)
    if row is None:
        raise ApiError(409, "already_suppressed", _("This address was already on the list."))
    return Status(201, _suppression_out(row))


@router.delete("/mailing/suppressions/{suppression_id}", response={204: None, 409: ErrorOut, **ERRORS},
               summary="Lift a suppression")
def lift_suppression(request: HttpRequest, suppression_id: int) -> Status[None]:
    _team(request)
    if not EmailSuppression.objects.filter(pk=suppression_id).exists():
        raise ApiError(404)
    try:
        actions.lift_suppression(request.user, suppression_id)
    except ValidationError as error:
        raise ApiError(409, "already_lifted", " ".join(error.messages)) from error
    return Status(204, None)
