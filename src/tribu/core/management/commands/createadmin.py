"""``tribu createadmin --email E --password P``: create or promote an administrator, no prompt.

Idempotent: run it again with the same address and the account stays one account, is (again) an
administrator, gets the given password and a verified email address."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Create an administrator, or make an existing account one (never prompts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The administrator's email address.")
        parser.add_argument("--password", required=True, help="The password (checked like any password).")
        parser.add_argument("--name", default="", help="Display name for a new account.")

    def handle(self, *args: Any, **options: Any) -> None:
        from allauth.account.models import EmailAddress
        from django.contrib.auth.password_validation import validate_password

        from tribu.accounts.models import Role, User
        from tribu.core.activity import record

        email = (options["email"] or "").strip().lower()
        password = options["password"] or ""
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(_("“%(email)s” is not a valid email address.") % {"email": email}) from exc
        probe = User(email=email, display_name=options["name"])
        try:
            validate_password(password, user=probe)
        except ValidationError as exc:
            raise CommandError(
                _("This password cannot be used: %(why)s") % {"why": " ".join(exc.messages)}
            ) from exc

        with transaction.atomic():
            user = User.objects.select_for_update().filter(email__iexact=email).first()
            created = user is None
            if created:
                user = User(email=email, display_name=options["name"].strip())
            old_role = "" if created else user.role
            user.role = Role.ADMIN
            user.is_staff = True
            user.is_superuser = True
            user.is_active = True
            user.set_password(password)
            user.save()
            address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
            if address is None:
                has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
                EmailAddress.objects.create(user=user, email=email, primary=not has_primary, verified=True)
            elif not address.verified:
                address.verified = True
                address.save(update_fields=["verified"])
            if old_role != Role.ADMIN:
                record(
                    None,
                    "member.role_changed",
                    user,
                    audit=True,
                    old=old_role,
                    new=Role.ADMIN,
                    via="createadmin",
                )

        if created:
            self.stdout.write(_("Administrator %(email)s created.") % {"email": email})
        else:
            self.stdout.write(_("%(email)s is an administrator; password updated.") % {"email": email})
