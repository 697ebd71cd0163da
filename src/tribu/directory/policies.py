"""Who may use the members directory and write to a member through it.

Tier restrictions come on top, from ``memberships.access.check_area(user, "directory")``, which
the views and the API call before anything else."""

from __future__ import annotations

from typing import Any

from tribu.core import policies as core_policies


def can_browse_directory(user: Any) -> bool:
    """People with an account: members, guests and the team (anonymous visitors log in first)."""
    return core_policies.is_member_area_allowed(user)


def sees_hidden_members(user: Any) -> bool:
    """The team sees members who hid themselves (and deactivated accounts), marked as such."""
    return core_policies.is_team(user)


def can_contact_members(user: Any) -> bool:
    return core_policies.is_member_area_allowed(user)


def can_contact(sender: Any, recipient: Any) -> bool:
    """Anyone with an account may write to an active member who is listed in the directory,
    except themselves."""
    if not can_contact_members(sender) or recipient is None or not recipient.is_active:
        return False
    if sender.pk == recipient.pk:
        return False
    profile = getattr(recipient, "profile", None)
    return not (profile is not None and profile.hidden_from_directory)
