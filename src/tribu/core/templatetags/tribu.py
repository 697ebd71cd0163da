from __future__ import annotations

from django import template

from tribu.accounts.models import role_label

register = template.Library()
register.filter("role_label", role_label)
