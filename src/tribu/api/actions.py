"""Writes on personal access tokens. Views, the API and the ``token`` command all come through here."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tribu.core.activity import record

from . import policies
from .models import PersonalAccessToken, hash_secret, new_secret

MAX_NAME_LENGTH = 100
MAX_EXPIRY_DAYS = 3650
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenNotFound(PersonalAccessToken.DoesNotExist):
    pass


def check_token_input(name: str, expires_in_days: int | None) -> str:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the token a name, such as the script that will use it.")]
    elif len(name) > MAX_NAME_LENGTH:
        errors["name"] = [_("The name can be at most %(max)d characters long.") % {"max": MAX_NAME_LENGTH}]
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        errors["expires_in_days"] = [_("The expiry must be between 1 and %(max)d days.") % {"max": MAX_EXPIRY_DAYS}]
    if errors:
        raise ValidationError(errors)
    return name


def create_token(user: Any, name: str, expires_in_days: int | None = None) -> tuple[PersonalAccessToken, str]:
    """Make a token for ``user``; returns it with its secret, which is never stored nor shown again."""
    if not policies.can_create_token(user):
        raise PermissionDenied(_("Your role does not allow you to create API tokens."))
    name = check_token_input(name, expires_in_days)
    prefix, secret = new_secret()
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    with transaction.atomic():
        token = PersonalAccessToken.objects.create(
            user=user, name=name, prefix=prefix, token_hash=hash_secret(secret), expires_at=expires_at
        )
        record(user, "api.token_created", token, name=name, prefix=prefix, expires_in_days=expires_in_days)
    return token, secret


def revoke_token(user: Any, token_id: int) -> PersonalAccessToken:
    """Revoke one of ``user``'s own tokens. Someone else's token is reported as not found."""
    with transaction.atomic():
        token = (
            PersonalAccessToken.objects.select_for_update()
            .filter(pk=token_id, user_id=getattr(user, "pk", None), revoked_at__isnull=True)
            .first()
        )
        if token is None or not policies.can_revoke_token(user, token):
            raise TokenNotFound(_("No such token."))
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(user, "api.token_revoked", token, name=token.name, prefix=token.prefix)
    return token


def touch_token(token: PersonalAccessToken) -> None:
    """Note that the token was just used, writing at most once a minute per token."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_GRANULARITY:
        return
    PersonalAccessToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_GRANULARITY)
    ).update(last_used_at=now)
    token.last_used_at = now
