"""``tribu token create --email E [--name N] [--expires-days D]``;
``tribu token revoke --email E --prefix P``.

``create`` prints only the new secret on stdout, so scripts can capture it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tribu.api import actions
from tribu.api.models import PersonalAccessToken


class Command(BaseCommand):
    help = "Create or revoke a member's personal API token."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print its secret.")
        create.add_argument("--email", required=True)
        create.add_argument("--name", default="Command line")
        create.add_argument("--expires-days", type=int, default=None, dest="expires_days")
        revoke = sub.add_parser("revoke", help="Revoke a token, found by its prefix.")
        revoke.add_argument("--email", required=True)
        revoke.add_argument("--prefix", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options["email"])
        if options["action"] == "create":
            try:
                _token, secret = actions.create_token(user, options["name"], options["expires_days"])
            except PermissionDenied as exc:
                raise CommandError(str(exc) or _("Not allowed.")) from exc
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stdout.write(secret)
        else:
            prefix = options["prefix"].removeprefix("tribu_").split("_")[0]
            token = PersonalAccessToken.objects.filter(user=user, prefix=prefix, revoked_at__isnull=True).first()
            if token is None:
                raise CommandError(
                    _("%(email)s has no active token with the prefix %(prefix)s.")
                    % {"email": user.email, "prefix": prefix}
                )
            actions.revoke_token(user, token.pk)
            self.stderr.write(_("Token %(prefix)s revoked.") % {"prefix": prefix})

    def _user(self, email: str) -> Any:
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(_("No member has the email address %(email)s.") % {"email": email})
        return user
