"""API v1 endpoints for the caller's personal data: download the archive, delete the account."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status

from tribu.api.errors import ApiError
from tribu.api.schemas import ErrorOut

from . import actions

router = Router()
ERRORS = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


class EraseIn(Schema):
    password: str


@router.get(
    "/me/export", response={200: None, **ERRORS}, tags=["me"],
    summary="Download all your personal data (a zip of JSON and your files)",
)
def export_me(request: HttpRequest) -> HttpResponse:
    try:
        archive = actions.export_my_data(request.user)
    except PermissionDenied:
        raise ApiError(403) from None
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="my-data-{timezone.localdate():%Y-%m-%d}.zip"'
    return response


@router.post(
    "/me/erase", response={204: None, 422: ErrorOut, **ERRORS}, tags=["me"],
    summary="Delete your account and your personal data (give your password)",
)
def erase_me(request: HttpRequest, payload: EraseIn) -> Status[None]:
    try:
        actions.erase_own_account(request.user, payload.password)
    except PermissionDenied as exc:
        raise ApiError(403, message=str(exc) or None) from None
    except ValidationError as exc:
        raise ApiError(422, message=exc.messages[0], details={"password": exc.messages}) from None
    return Status(204, None)
