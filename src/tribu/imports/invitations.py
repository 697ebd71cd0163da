"""Inviting imported members: an email with a link to choose their password (allauth's password
reset by key, so the link is signed, single-use and expires like any reset link)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse


def set_password_url(user: Any) -> str:
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    return f"{settings.SITE_URL}{path}"


def invite_on_commit(user: Any) -> None:
    """Queue the invitation email for once the current transaction commits."""
    from tribu.core.emails import send_templated_email_on_commit

    send_templated_email_on_commit(user, "imports/emails/invitation", {"url": set_password_url(user)})
