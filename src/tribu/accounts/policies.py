"""Who may see what of a member: the profile, each field by its visibility, the directory listing.

Field visibility, from the widest to the narrowest audience:
- ``everyone``: anyone, anonymous visitors included (only admins can give a custom field this level);
- ``members``: people with an account (members, guests, the team);
- ``staff``: the community team (admins and staff) — and the member themselves, always.
"""

from __future__ import annotations

from typing import Any

from tribu.core import policies as core_policies

from .models import Visibility

# The standard profile fields a member may restrict, and the level they have until the member chooses.
OPTIONAL_FIELDS = (
    "photo", "job_title", "organisation", "bio", "skills", "interests", "city", "region", "country",
    "languages", "website", "social_links", "company",
)
DEFAULT_FIELD_VISIBILITY = Visibility.MEMBERS
MEMBER_CHOICES = (Visibility.MEMBERS, Visibility.STAFF)  # what a member may pick for their own fields


def _is_self(viewer: Any, owner: Any) -> bool:
    return bool(getattr(viewer, "is_authenticated", False)) and viewer.pk == getattr(owner, "pk", owner)


def audience_levels(viewer: Any, owner: Any = None) -> set[str]:
    """The visibility levels ``viewer`` may read on ``owner``'s profile."""
    if core_policies.is_team(viewer) or (owner is not None and _is_self(viewer, owner)):
        return {Visibility.EVERYONE, Visibility.MEMBERS, Visibility.STAFF}
    if core_policies.is_member_area_allowed(viewer):
        return {Visibility.EVERYONE, Visibility.MEMBERS}
    return {Visibility.EVERYONE}


def field_visibility(profile: Any, field: str) -> str:
    chosen = (getattr(profile, "field_visibility", None) or {}).get(field)
    return chosen if chosen in Visibility.values else DEFAULT_FIELD_VISIBILITY


def can_see_field(viewer: Any, profile: Any, field: str) -> bool:
    """A standard field of ``profile`` (see ``OPTIONAL_FIELDS``)."""
    return field_visibility(profile, field) in audience_levels(viewer, profile.user_id)


def can_see_custom_field(viewer: Any, custom_field: Any, owner: Any = None) -> bool:
    return custom_field.visibility in audience_levels(viewer, owner)


def can_view_profile(viewer: Any, owner: Any) -> bool:
    """Profiles are for people with an account; a deactivated member's profile is the team's only."""
    if not core_policies.is_member_area_allowed(viewer):
        return False
    if not owner.is_active:
        return core_policies.is_team(viewer)
    return True


def is_listed_in_directory(viewer: Any, owner: Any, profile: Any) -> bool:
    """Members who hide themselves are left out of listings, search and suggestions (the team still sees them)."""
    if not can_view_profile(viewer, owner):
        return False
    return not profile.hidden_from_directory or core_policies.is_team(viewer) or _is_self(viewer, owner)


def can_edit_profile(viewer: Any, owner: Any) -> bool:
    return (_is_self(viewer, owner) and core_policies.is_member_area_allowed(viewer)) or core_policies.is_team(viewer)


def can_manage_custom_fields(user: Any) -> bool:
    return core_policies.can_edit_community(user)
