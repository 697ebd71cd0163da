"""Who may do what with events. Views and the API ask here; nothing decides access inline.

- The team (admins, staff) manages every event. Community animators create events and manage those
  they organise; a group's owners and animators manage the group's events.
- Drafts are seen only by those who manage them.
- A published or cancelled event is seen by: everyone (``everyone`` audience, outside a group: the
  shareable public page); people with an account (``members`` and ``tiers`` audiences; a tier event
  without the tier shows a teaser or is hidden as its restriction mode says); for a group's event,
  those who may read the group (``groups.policies.can_view``: anyone let in for a public group, its
  members for a moderated or private one).
- Registering needs an account, a published event before its deadline, and the audience: members
  (not guests), the tiers, or the group's members.
- The video-conference link is shown to confirmed registrants and to those who manage the event.
"""

from __future__ import annotations

from typing import Any

from tribu.accounts.models import Role
from tribu.core import policies as core_policies
from tribu.memberships import access

from .models import Audience, EventStatus


def _role(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user.role


def is_group_member(user: Any, event: Any) -> bool:
    from tribu.groups import policies as group_policies

    return event.group_id is not None and group_policies.is_member(user, event.group)


def leads_group(user: Any, group: Any) -> bool:
    """Owner or animator of the group (or of a parent group), whatever their community role."""
    from tribu.groups import policies as group_policies

    return group is not None and _role(user) is not None and group_policies.is_animator(user, group)


def can_create_events(user: Any) -> bool:
    """Community animators and the team; group animators create events in their groups."""
    if _role(user) in {Role.ADMIN, Role.STAFF, Role.ANIMATOR}:
        return True
    if _role(user) is None:
        return False
    from tribu.groups import policies as group_policies

    return bool(group_policies.viewer(user).lead_paths)


def can_manage(user: Any, event: Any) -> bool:
    """Edit, publish, cancel, see attendees, check in, export."""
    role = _role(user)
    if role in {Role.ADMIN, Role.STAFF}:
        return True
    if role is None:
        return False
    if event.group_id is not None and leads_group(user, event.group):
        return True
    return role == Role.ANIMATOR and event.organiser_id == user.pk


def can_see_group(user: Any, event: Any) -> bool:
    """A group's events are part of its content: those who may read the group (its members for a
    moderated or private group, every member allowed in for a public one)."""
    if event.group_id is None:
        return True
    from tribu.groups import policies as group_policies

    return group_policies.can_view(user, event.group)


def can_view(user: Any, event: Any) -> bool:
    """See the event's page (a tier teaser counts as seeing)."""
    if can_manage(user, event):
        return True
    if event.status == EventStatus.DRAFT:
        return False
    if not can_see_group(user, event):
        return False
    if event.audience == Audience.EVERYONE and event.group_id is None:
        return True
    if _role(user) is None:
        return False
    if event.audience == Audience.TIERS:
        return access.decide(user, event) != access.Access.HIDDEN
    return True


def is_public(event: Any) -> bool:
    return event.status != EventStatus.DRAFT and event.audience == Audience.EVERYONE and event.group_id is None


def registration_refusal(user: Any, event: Any) -> str | None:
    """Why ``user`` may not register (a code), or None. The deadline is checked by the action."""
    role = _role(user)
    if role is None:
        return "login"
    if event.status != EventStatus.PUBLISHED:
        return "not_open"
    if not can_view(user, event):
        return "hidden"
    if core_policies.is_team(user):
        return None
    if event.audience == Audience.MEMBERS and role == Role.GUEST:
        return "members_only"
    if event.audience == Audience.TIERS and access.decide(user, event) != access.Access.ALLOWED:
        return "tier"
    if event.audience == Audience.GROUP and not is_group_member(user, event):
        return "group"
    return None


def can_register(user: Any, event: Any) -> bool:
    return registration_refusal(user, event) is None


def can_see_link(user: Any, event: Any, registration: Any = None) -> bool:
    if can_manage(user, event):
        return True
    return registration is not None and registration.status == "confirmed" and registration.user_id == user.pk


def can_announce_to_segments(user: Any) -> bool:
    """Segments are the community team's saved audiences."""
    return core_policies.is_team(user)


def can_check_in(user: Any, event: Any) -> bool:
    return can_manage(user, event)


def can_edit(user: Any, event: Any) -> bool:
    return can_manage(user, event)
