"""Sentences of the payment verbs (activity log, audit log)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tribu.core.activity_text import describe_verb
from tribu.memberships.money import format_money


def formatter(data: dict[str, Any]) -> dict[str, Any]:
    return {"amount": format_money(int(data.get("amount_cents") or 0), str(data.get("currency") or "EUR")),
            "refunded": format_money(int(data.get("refunded_cents") or 0), str(data.get("currency") or "EUR"))}


describe_verb("payment.started", _("%(who)s started a card payment of %(amount)s (%(reference)s)"), formatter)
describe_verb("payment.pledged", _("%(who)s announced an offline payment of %(amount)s (%(reference)s)"), formatter)
describe_verb("payment.received", _("A payment of %(amount)s was received (%(reference)s)"), formatter)
describe_verb("payment.recorded", _("%(who)s recorded a payment of %(amount)s (%(reference)s)"), formatter)
describe_verb("payment.failed", _("A card payment of %(amount)s failed (%(reference)s)"), formatter)
describe_verb("payment.refunded", _("%(refunded)s of the payment %(reference)s was refunded"), formatter)
describe_verb("payment.subscription_ended", _("The subscription started by %(reference)s ended"), formatter)
describe_verb("payments.settings_changed", _("%(who)s changed the offline payment settings"))
