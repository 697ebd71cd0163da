"""API v1 endpoints: the caller (``/me``), their tokens, and the community's public face.

Thin adapters: access comes from ``policies``, writes from ``actions``, reads from ``queries``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from tribu.accounts import actions as account_actions
from tribu.core.community import get_community

from . import actions, policies, queries
from .errors import ApiError
from .pagination import PageNumberPagination
from .schemas import CommunityOut, ErrorOut, MeIn, MeOut, TokenCreatedOut, TokenIn, TokenOut

router = Router()
ERRORS = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


def _me(user: Any) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "display_name": user.display_name,
        "role": user.role,
        "language": user.language,
        "time_zone": user.time_zone,
    }


@router.get("/me", response={200: MeOut, **ERRORS}, tags=["me"], summary="The member making the request")
def read_me(request: HttpRequest) -> dict[str, Any]:
    return _me(request.user)


@router.patch(
    "/me",
    response={200: MeOut, 422: ErrorOut, **ERRORS},
    tags=["me"],
    summary="Change your name, language or time zone",
)
def update_me(request: HttpRequest, payload: MeIn) -> dict[str, Any]:
    user = request.user
    changed = []
    for field, value in payload.model_dump(exclude_unset=True).items():
        if value is None:
            if field == "display_name":
                raise ValidationError({field: [_("Enter the name other members will see.")]})
            value = ""
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        account_actions.update_account(user, changed)  # type: ignore[arg-type]
    return _me(user)


@router.get("/me/tokens", response=list[TokenOut], tags=["tokens"], summary="Your active API tokens")
@paginate(PageNumberPagination)
def list_tokens(request: HttpRequest) -> Any:
    return queries.tokens_of(request.user)


@router.post(
    "/me/tokens",
    response={201: TokenCreatedOut, 422: ErrorOut, **ERRORS},
    tags=["tokens"],
    summary="Create an API token",
)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    if not policies.can_create_token(request.user):
        raise ApiError(403, message=_("Your role does not allow you to create API tokens."))
    token, secret = actions.create_token(request.user, payload.name, payload.expires_in_days)
    return Status(
        201,
        {
            "id": token.pk,
            "name": token.name,
            "prefix": token.prefix,
            "created_at": token.created_at,
            "last_used_at": token.last_used_at,
            "expires_at": token.expires_at,
            "secret": secret,
        },
    )


@router.delete(
    "/me/tokens/{token_id}",
    response={204: None, 404: ErrorOut, **ERRORS},
    tags=["tokens"],
    summary="Revoke an API token",
)
def delete_token(request: HttpRequest, token_id: int) -> Status[None]:
    actions.revoke_token(request.user, token_id)
    return Status(204, None)


@router.get(
    "/community", response={200: CommunityOut, 429: ErrorOut}, auth=None, tags=["community"], summary="The community"
)
def read_community(request: HttpRequest) -> dict[str, Any]:
    community = get_community()
    return {
        "name": community.name,
        "tagline": community.tagline,
        "primary_colour": community.primary_colour,
        "secondary_colour": community.secondary_colour,
        "default_language": community.default_language,
        "time_zone": community.time_zone,
        "logo_url": request.build_absolute_uri(community.logo.url) if community.logo else None,
        "favicon_url": request.build_absolute_uri(community.favicon.url) if community.favicon else None,
    }
