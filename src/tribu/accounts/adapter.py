"""allauth adapter: account emails go through the task worker, in the recipient's language."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from tribu.core.emails import send_email_on_commit


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = str(content)
        send_email_on_commit(list(message.to), str(message.subject), str(message.body), html)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

    def confirm_email(self, request: HttpRequest, email_address: Any) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            from . import actions

            actions.welcome_member(email_address.user)
        return confirmed
