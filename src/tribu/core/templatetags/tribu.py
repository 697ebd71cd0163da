from __future__ import annotations

from django import template

from tribu.accounts.models import role_label

from ..navigation import ACCOUNT_TABS, ADMIN_TABS, tabs_for

register = template.Library()
register.filter("role_label", role_label)


@register.simple_tag(takes_context=True)
def admin_tabs(context: template.Context) -> list:
    return tabs_for(ADMIN_TABS, context["request"].path)


@register.simple_tag(takes_context=True)
def account_tabs(context: template.Context) -> list:
    return tabs_for(ACCOUNT_TABS, context["request"].path)
