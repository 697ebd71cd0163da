from __future__ import annotations

from django import template

from tribu.accounts.models import Role

register = template.Library()


@register.filter
def role_label(code: str) -> str:
    """The translated name of a role code ("animator" → "Animateur·rice")."""
    try:
        return str(Role(code).label)
    except ValueError:
        return code
