"""Read side of the API app: the tokens a page or an endpoint shows, and the token behind a secret."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import SECRET_PREFIX, PersonalAccessToken, hash_secret


def tokens_of(user: Any, *, include_revoked: bool = False) -> QuerySet[PersonalAccessToken]:
    tokens = PersonalAccessToken.objects.filter(user=user)
    if not include_revoked:
        tokens = tokens.filter(revoked_at__isnull=True)
    return tokens.order_by("-created_at", "-id")


def token_for_secret(secret: str) -> PersonalAccessToken | None:
    """The token (with its user, in one query) whose secret this is, whatever its state; None if unknown."""
    if not secret.startswith(f"{SECRET_PREFIX}_") or len(secret) > 200:
        return None
    return PersonalAccessToken.objects.select_related("user").filter(token_hash=hash_secret(secret)).first()
