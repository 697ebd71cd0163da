"""``{% load tribu_money %}`` then ``{{ tier.price_cents|money:tier.currency }}`` → « 60,00 € » / "€60.00"."""

from __future__ import annotations

from django import template

from tribu.memberships.money import format_money

register = template.Library()


@register.filter
def money(cents: int | None, currency: str = "EUR") -> str:
    return format_money(cents, currency or "EUR")
