"""What every invitation by email shares (member companies, groups…): checking a list of addresses
and a daily allowance per sender, kept in the cache (shared by every process when Redis is configured)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _


@dataclass
class RateLimited(Exception):
    limit: int


def check_emails(emails: list[str], *, most: int) -> list[str]:
    """The addresses, or a ValidationError on ``emails`` naming each invalid one."""
    if not emails:
        raise ValidationError({"emails": [_("Enter at least one email address.")]})
    if len(emails) > most:
        raise ValidationError({"emails": [_("Invite at most %(n)d people at once.") % {"n": most}]})
    errors = []
    for address in emails:
        try:
            validate_email(address)
        except ValidationError:
            errors.append(_("« %(email)s » is not a valid email address.") % {"email": address})
    if errors:
        raise ValidationError({"emails": errors})
    return emails


@dataclass(frozen=True)
class DailyAllowance:
    """At most ``per_day`` invitations a day for each sender, counted under ``name``."""

    name: str
    per_day: int

    def _key(self, actor: Any) -> str:
        return f"{self.name}:invitations:{actor.pk}:{timezone.now():%Y%m%d}"

    def left(self, actor: Any) -> int:
        return max(0, self.per_day - int(cache.get(self._key(actor), 0)))

    def take(self, actor: Any, n: int) -> None:
        """Count ``n`` more invitations, or raise ``RateLimited`` (counting nothing) past the allowance."""
        key = self._key(actor)
        cache.add(key, 0, 60 * 60 * 25)
        try:
            total = cache.incr(key, n)
        except ValueError:
            cache.set(key, n, 60 * 60 * 25)
            total = n
        if total > self.per_day:
            cache.decr(key, n)
            raise RateLimited(self.per_day)

    def give_back(self, actor: Any, n: int) -> None:
        """The invitations counted were not sent after all (the sending failed)."""
        cache.decr(self._key(actor), n)
