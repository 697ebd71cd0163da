"""Who may do what with events. Views and the API ask here; nothing decides access inline.

- The team (admins, staff) manages every event. Animators create events and manage those they
  organise, and the events of the groups they lead.
- Drafts are seen only by those who manage them.
- A published or cancelled event is seen by: everyone (``everyone`` audience, outside a group: the
  shareable public page); people with an account (``members`` and ``tiers`` audiences; a tier event
  without the tier shows a teaser or is hidden as its restriction mode says); for a group's event,
  people who may see the group (a private group's events only by its members).
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


def _group_role(user: Any, group_id: int | None) -> str | None:
    """The member's role in the group (owner, animator, member) or None; remembered per request."""
    if group_id is None or _role(user) is None:
        return None
    memo = getattr(user, "_events_group_roles", None)
    if memo is None:
        memo = {}
        user._events_group_roles = memo
    if group_id not in memo:
        from tribu.groups.models import GroupMembership

        memo[group_id] = (
            GroupMembership.objects.filter(group_id=group_id, user_id=user.pk).values_list("role", flat=True).first()
        )
    return memo[group_id]


def is_group_member(user: Any, event: Any) -> bool:
    return _group_role(user, event.group_id) is not None


def can_create_events(user: Any) -> bool:
    return _role(user) in {Role.ADMIN, Role.STAFF, Role.ANIMATOR}


def can_manage(user: Any, event: Any) -> bool:
    """Edit, publish, cancel, see attendees, check in, export."""
    role = _role(user)
    if role in {Role.ADMIN, Role.STAFF}:
        return True
    if role != Role.ANIMATOR:
        return False
    if event.organiser_id == user.pk:
        return True
    return event.group_id is not None and _group_role(user, event.group_id) in {"owner", "animator"}


def can_see_group(user: Any, event: Any) -> bool:
    if event.group_id is None:
        return True
    group = event.group
    if core_policies.is_team(user):
        return True
    if _role(user) is None:
        return False
    if group.effective_visibility == "private":
        return is_group_member(user, event)
    return True


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


def can_check_in(user: Any, event: Any) -> bool:
    return can_manage(user, event)


def can_edit(user: Any, event: Any) -> bool:
    return can_manage(user, event)
