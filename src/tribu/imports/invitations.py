"""Inviting imported members: an email with a link to choose their password.

The link (``imports:welcome``) carries allauth's password-reset key, so it is signed, single-use
and expires like any reset link. Opening it proves the member reads that mailbox: their address is
marked verified, then they land on allauth's "choose your password" form with the same key (so
signing in afterwards does not ask them to confirm the address again)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse


def _key(user: Any) -> tuple[str, str]:
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    return user_pk_to_url_str(user), default_token_generator.make_token(user)


def set_password_url(user: Any) -> str:
    uidb36, key = _key(user)
    return f"{settings.SITE_URL}{reverse('imports:welcome', kwargs={'uidb36': uidb36, 'key': key})}"


def check_invitation(uidb36: str, key: str) -> Any:
    """The member a welcome link is for, or None when the link is wrong, used or expired."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import url_str_to_user_pk

    from tribu.accounts.models import User

    try:
        user = User.objects.filter(pk=url_str_to_user_pk(uidb36), is_active=True).first()
    except (ValueError, TypeError, OverflowError):
        return None
    if user is None or not default_token_generator.check_token(user, key):
        return None
    return user


def reset_url(uidb36: str, key: str) -> str:
    return reverse("account_reset_password_from_key", kwargs={"uidb36": uidb36, "key": key})


def invite_on_commit(user: Any) -> None:
    """Queue the invitation email for once the current transaction commits."""
    from tribu.core.emails import send_templated_email_on_commit

    send_templated_email_on_commit(user, "imports/emails/invitation", {"url": set_password_url(user)})
