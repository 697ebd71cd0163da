"""Every email the platform sends, found at run time in the template folders (so emails other apps add
appear without a list to keep up to date):

- Tribu's own: ``<app>/templates/<app>/emails/<name>_subject.txt`` with ``<name>.txt`` (and ``<name>.html``);
- allauth's account emails: ``account/email/<name>_subject.txt`` with ``<name>_message.txt``.

Each entry knows its placeholders (the plain variables its default templates print, plus the standard
ones every email has), a description, and how to build sample data for a preview."""

from __future__ import annotations

import contextlib
import datetime
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.template import TemplateDoesNotExist, engines
from django.template.base import FilterExpression, Node, TokenType, Variable
from django.template.loader import get_template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STANDARD_PLACEHOLDERS: dict[str, Any] = {
    "first_name": _("The recipient's first name"),
    "name": _("The recipient's name as shown in the community"),
    "email": _("The recipient's email address"),
    "community_name": _("The community's name"),
    "site_url": _("The address of the community's site"),
}

# Words for the emails we know; an email found in a template folder without one gets a generic line.
DESCRIPTIONS: dict[str, Any] = {
    "account/email/email_confirmation_signup": _("Verification of the address given at sign-up."),
    "account/email/email_confirmation": _("Verification of a new email address."),
    "account/email/password_reset_key": _("Link to choose a new password."),
    "account/email/unknown_account": _("Password reset asked for an address that has no account."),
    "account/email/account_already_exists": _("Someone tried to sign up with an address that already has an account."),
    "account/email/email_changed": _("Notice that the account's email address changed."),
    "account/email/email_deleted": _("Notice that an email address was removed from the account."),
    "account/email/password_changed": _("Notice that the password changed."),
    "account/email/password_set": _("Notice that a password was set."),
    "account/email/password_reset": _("Notice that the password was reset."),
    "account/email/email_confirm": _("Verification code for a new email address."),
    "account/email/login_code": _("Sign-in code."),
    "account/email/password_reset_code": _("Password reset code."),
    "core/emails/notification": _("One notification, for members who get that kind by email."),
    "core/emails/notification_digest": _("The digest of notifications, daily or weekly as each member chooses."),
    "companies/emails/invitation": _("Invitation to join a member company."),
    "directory/emails/contact": _("A message from another member through the directory."),
    "imports/emails/invitation": _("Invitation of an imported member to choose a password."),
    "memberships/emails/granted": _("Membership granted or requested."),
    "memberships/emails/changed": _("Membership changed."),
    "memberships/emails/cancelled": _("Membership cancelled."),
    "memberships/emails/trial_ended": _("End of a trial."),
    "billing/emails/receipt": _("Receipt of a payment."),
    "billing/emails/invoice": _("Invoice."),
    "billing/emails/credit_note": _("Credit note after a refund."),
    "billing/emails/tax_receipt": _("Tax receipt for a donation."),
    "billing/emails/reminder": _("Renewal reminder before or after a membership ends."),
    "payments/emails/instructions": _("How to pay offline (transfer, cheque, cash)."),
    "payments/emails/payment_failed": _("A payment failed."),
    "events/emails/registration": _("Event registration: confirmation, waitlist, reminder, change, cancellation."),
    "groups/emails/invitation": _("Invitation to join a group."),
}

# allauth emails this configuration never sends (features switched off in the settings).
def _allauth_unused() -> set[str]:
    unused = set()
    if not getattr(settings, "ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED", False):
        unused.add("account/email/email_confirm")
    if not getattr(settings, "ACCOUNT_LOGIN_BY_CODE_ENABLED", False):
        unused.add("account/email/login_code")
    if not getattr(settings, "ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED", False):
        unused.add("account/email/password_reset_code")
    if not getattr(settings, "ACCOUNT_EMAIL_NOTIFICATIONS", False):
        unused |= {f"account/email/{n}" for n in
                   ("email_changed", "email_deleted", "password_changed", "password_set", "password_reset")}
        unused |= {"mfa/email/*", "socialaccount/email/*"}
    return unused


# Names a template defines itself or that never make sense in an email typed by an admin.
_IGNORED_ROOTS = {"request", "csrf_token", "perms", "messages", "block", "forloop", "LANGUAGE_CODE", "view"}


@dataclass(frozen=True)
class EmailTemplate:
    key: str  # the template prefix: "memberships/emails/granted"
    subject_template: str
    text_template: str
    html_template: str  # "" when the email has no HTML file (the layout is built from the text)
    app_label: str
    placeholders: tuple[str, ...] = field(default=())
    numbers: tuple[str, ...] = field(default=())  # paths the templates count with (plural forms)

    @property
    def description(self) -> Any:
        if self.key in DESCRIPTIONS:
            return DESCRIPTIONS[self.key]
        return _("An email of the “%(app)s” area.") % {"app": self.app_name}

    @property
    def app_name(self) -> str:
        try:
            return str(apps.get_app_config(self.app_label).verbose_name)
        except LookupError:
            return _("Accounts") if self.app_label == "account" else self.app_label

    @property
    def short_name(self) -> str:
        return self.key.rsplit("/", 1)[-1].replace("_", " ")

    def placeholder_help(self) -> list[tuple[str, Any]]:
        rows: list[tuple[str, Any]] = list(STANDARD_PLACEHOLDERS.items())
        rows += [(p, "") for p in self.placeholders if p not in STANDARD_PLACEHOLDERS]
        return rows

    @property
    def allowed(self) -> set[str]:
        return set(STANDARD_PLACEHOLDERS) | set(self.placeholders)


def _template_dirs() -> Iterator[Path]:
    engine = engines["django"]
    for directory in engine.engine.dirs:
        yield Path(directory)
    for config in apps.get_app_configs():
        folder = Path(config.path) / "templates"
        if folder.is_dir():
            yield folder


def _exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


@functools.cache
def _discover() -> dict[str, EmailTemplate]:
    found: dict[str, EmailTemplate] = {}
    unused = _allauth_unused()
    for root in _template_dirs():
        for subject in sorted(root.glob("**/email*/*_subject.txt")):
            if subject.parent.name not in {"email", "emails"}:
                continue
            relative = subject.relative_to(root).as_posix()
            key = relative.removesuffix("_subject.txt")
            if key in found or key in unused or key.startswith("mailing/"):
                continue
            if f"{key.rsplit('/', 1)[0]}/*" in unused:
                continue
            if _exists(f"{key}.txt"):
                text, html = f"{key}.txt", f"{key}.html" if _exists(f"{key}.html") else ""
            elif _exists(f"{key}_message.txt"):
                text, html = f"{key}_message.txt", f"{key}_message.html" if _exists(f"{key}_message.html") else ""
            else:
                continue
            templates = [relative, text] + ([html] if html else [])
            placeholders, numbers = _placeholders_of(templates)
            found[key] = EmailTemplate(
                key=key,
                subject_template=relative,
                text_template=text,
                html_template=html,
                app_label=key.split("/", 1)[0],
                placeholders=tuple(sorted(placeholders)),
                numbers=tuple(sorted(numbers)),
            )
    return dict(sorted(found.items(), key=lambda item: (item[1].app_label, item[0])))


def all_templates() -> list[EmailTemplate]:
    return list(_discover().values())


def get(key: str) -> EmailTemplate | None:
    return _discover().get(key)


def forget() -> None:
    """Look at the template folders again (tests that add an email)."""
    _discover.cache_clear()


# --- Placeholders found in a template --------------------------------------------------------------


_COUNTERS: set[str] = set()


def _placeholders_of(names: list[str]) -> tuple[set[str], set[str]]:
    """The variables the templates print, and those they count with (``blocktranslate count``)."""
    found: set[str] = set()
    _COUNTERS.clear()
    for name in names:
        try:
            template = get_template(name).template  # type: ignore[attr-defined]
        except TemplateDoesNotExist:
            continue
        _walk(template.nodelist, found, set(), seen_templates={name})
    numbers = set(_COUNTERS)
    return {p for p in found if p.split(".", 1)[0] not in _IGNORED_ROOTS}, numbers


def _expression_var(expression: Any) -> str | None:
    if isinstance(expression, FilterExpression):
        var = expression.var
        if isinstance(var, Variable) and var.lookups:
            return ".".join(var.lookups)
    return None


def _walk(nodelist: Any, found: set[str], local: set[str], *, seen_templates: set[str]) -> None:
    for node in nodelist:
        _visit(node, found, local, seen_templates)


def _add(path: str | None, found: set[str], local: set[str]) -> None:
    if path and path.split(".", 1)[0] not in local and not path.startswith("_"):
        found.add(path)


def _visit(node: Node, found: set[str], local: set[str], seen: set[str]) -> None:
    name = type(node).__name__
    if name == "VariableNode":
        _add(_expression_var(node.filter_expression), found, local)  # type: ignore[attr-defined]
        return
    if name == "BlockTranslateNode":
        extra = getattr(node, "extra_context", {}) or {}
        for value in extra.values():
            _add(_expression_var(value), found, local)
        inner_local = local | set(extra) | {getattr(node, "countervar", None) or "counter"}
        for token in list(getattr(node, "singular", [])) + list(getattr(node, "plural", []) or []):
            if token.token_type == TokenType.VAR:
                _add(token.contents.split("|")[0].strip(), found, inner_local)
        counter = _expression_var(getattr(node, "counter", None))
        _add(counter, found, local)
        if counter:
            _COUNTERS.add(counter)
        return
    if name == "ForNode":
        _add(_expression_var(node.sequence), found, local)  # type: ignore[attr-defined]
        _walk(node.nodelist_loop, found, local | set(node.loopvars), seen_templates=seen)  # type: ignore[attr-defined]
        _walk(node.nodelist_empty, found, local, seen_templates=seen)  # type: ignore[attr-defined]
        return
    if name == "WithNode":
        extra = getattr(node, "extra_context", {}) or {}
        for value in extra.values():
            _add(_expression_var(value), found, local)
        _walk(node.nodelist, found, local | set(extra), seen_templates=seen)  # type: ignore[attr-defined]
        return
    if name == "ExtendsNode":
        parent = node.parent_name.var if isinstance(node.parent_name, FilterExpression) else None  # type: ignore[attr-defined]
        if isinstance(parent, str) and parent not in seen:
            seen.add(parent)
            with contextlib.suppress(TemplateDoesNotExist):
                _walk(get_template(parent).template.nodelist, found, local, seen_templates=seen)  # type: ignore[attr-defined]
    if name == "IncludeNode":
        included = getattr(node.template, "var", None)  # type: ignore[attr-defined]
        if isinstance(included, str) and included not in seen:
            seen.add(included)
            with contextlib.suppress(TemplateDoesNotExist):
                _walk(get_template(included).template.nodelist, found, local, seen_templates=seen)  # type: ignore[attr-defined]
        return
    # Tags that name a result (``{% user_display user as user_display %}``, ``{% url … as x %}``).
    for attribute in ("asvar", "target_var", "var_name", "variable"):
        value = getattr(node, attribute, None)
        if isinstance(value, str):
            local.add(value)
    for attribute in getattr(node, "child_nodelists", ()):
        child = getattr(node, attribute, None)
        if child:
            _walk(child, found, local, seen_templates=seen)
    if name == "IfNode":
        for _condition, child in node.conditions_nodelists:  # type: ignore[attr-defined]
            _walk(child, found, local, seen_templates=seen)


# --- Sample data for previews and tests ------------------------------------------------------------


# What filters probe to tell a date or a number: a sample has none of them (``|date`` prints nothing).
_NOT_SAMPLED = {
    "tzinfo", "utcoffset", "year", "month", "day", "hour", "minute", "second", "microsecond", "timetuple",
    "isoformat", "strftime", "resolve_expression", "as_sql", "items", "keys", "all",
}


class Sample:
    """A stand-in for any object a template reads: every attribute is another sample, printed as a
    plausible value guessed from its name."""

    def __init__(self, path: str, numbers: frozenset[str] = frozenset()) -> None:
        self._path = path
        self._numbers = numbers

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in _NOT_SAMPLED:
            raise AttributeError(name)
        return sample_value(f"{self._path}.{name}", self._numbers)

    def __getitem__(self, key: Any) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        bits = self._path.split(".")
        last = bits[-2] if len(bits) > 1 and bits[-1] in {"name", "title", "label"} else bits[-1]
        return str(_("Sample %(name)s") % {"name": last.replace("_", " ")})

    def __html__(self) -> str:
        from django.utils.html import escape

        return escape(str(self))


def sample_value(path: str, numbers: frozenset[str] = frozenset()) -> Any:
    last = path.rsplit(".", 1)[-1].lower()
    if path in numbers:
        return 2
    now = timezone.now()
    if last in {"first_name"}:
        return "Camille"
    person = "." not in path or path.split(".", 1)[0] in {"user", "member", "sender", "inviter", "recipient"}
    if last in {"display_name", "inviter_name", "sender_name", "user_display"} or (last == "name" and person):
        return "Camille Martin"
    if last == "email":
        return "camille@example.org"
    if "url" in last or "link" in last:
        return settings.SITE_URL + "/"
    if last.endswith(("_at", "_on", "date", "_until")) or last in {"starts", "ends", "expires", "start", "end"}:
        return now + datetime.timedelta(days=14)
    if last.endswith("_cents") or last in {"amount", "price", "total"}:
        return 4500
    if last in {"count", "days", "more", "seats", "quantity"}:
        return 3
    if last in {"time_zone", "timezone", "tz"}:
        return settings.TIME_ZONE
    if last == "currency":
        return "EUR"
    if last in {"code", "key"}:
        return "4F7K-2Q9M"
    if last in {"status"}:
        return "active"
    return Sample(path, numbers)


def sample_context(template: EmailTemplate, user: Any) -> dict[str, Any]:
    """Data for a preview: the real reader (``user``) and community, samples for everything else."""
    from tribu.core.community import get_community

    community = get_community()
    context: dict[str, Any] = {}
    numbers = frozenset(template.numbers)
    for path in template.placeholders:
        root = path.split(".", 1)[0]
        if root in context:
            continue
        context[root] = sample_value(root, numbers) if "." not in path else Sample(root, numbers)
    context.update(
        {
            "user": user,
            "email": user.email,
            "community": community,
            "site_url": settings.SITE_URL,
            "current_site": type("Site", (), {"name": community.name, "domain": settings.SITE_URL.split("//")[-1]})(),
            "user_display": user.name,
        }
    )
    return context
