"""allauth adapter: account emails go through the task worker, in the recipient's language."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode

from tribu.core.emails import send_email_on_commit


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Through the mailing app's rendering: the admins' version of the email if any, the branded layout.
        from django.utils import translation

        from tribu.core.emails import language_for, render_email

        user = context.get("user")
        language = language_for(user) if user is not None else (translation.get_language() or "fr")
        parts = render_email(template_prefix, {"email": email, **context}, language)
        send_email_on_commit([email], **parts)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

    def confirm_email(self, request: HttpRequest, email_address: Any) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            from . import actions

            actions.welcome_member(email_address.user)
        return confirmed

    # After logging in, members who lack a field the community now requires go to ``profile:complete``
    # first (then on to where they were going). Only the log-in flow leads there: the site stays usable.
    def _completion_url(self, request: HttpRequest, then: str) -> str | None:
        from tribu.core.policies import is_member_area_allowed

        from .queries import missing_required

        user = request.user
        if not is_member_area_allowed(user) or not missing_required(user):  # type: ignore[arg-type]
            return None
        url = reverse("profile:complete")
        return f"{url}?{urlencode({'next': then})}" if then else url

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        url = super().get_login_redirect_url(request)
        return self._completion_url(request, url) or url

    def post_login(self, request: HttpRequest, user: Any, *, redirect_url: Any = None, **kwargs: Any) -> HttpResponse:
        from allauth.account.utils import get_login_redirect_url

        if getattr(request.user, "is_authenticated", False):
            # An explicit ?next= skips get_login_redirect_url: go through the completion page anyway.
            target = get_login_redirect_url(request, redirect_url, signup=kwargs.get("signup", False))
            if not str(target).startswith(reverse("profile:complete")):
                completion = self._completion_url(request, str(target))
                if completion:
                    redirect_url = completion
        return super().post_login(request, user, redirect_url=redirect_url, **kwargs)
