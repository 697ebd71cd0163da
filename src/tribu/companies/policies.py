"""Who may do what with member companies. Views and the API ask here; nothing decides access inline.

- The community team (admins, staff) manages every company, partner level and attachment.
- A company's contacts edit its profile (not its partner level), invite and remove colleagues and see
  its seats; they cannot make someone a contact.
- Company pages are public or for people with an account, as the company chose; the directory of
  companies is for people with an account (and ``memberships.access.check_area(user, "companies")``).
"""

from __future__ import annotations

from typing import Any

from tribu.accounts import policies as account_policies
from tribu.core import policies as core_policies

from .models import PageVisibility


def attachment_of(user: Any) -> Any:
    """The user's ``CompanyMember`` row, or None (cached on the user object by Django)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.company_attachment
    except Exception:
        return None


def is_contact_of(user: Any, company: Any) -> bool:
    attachment = attachment_of(user)
    return (
        attachment is not None
        and attachment.is_contact
        and attachment.company_id == getattr(company, "pk", company)
        and core_policies.is_member_area_allowed(user)
    )


def is_attached_to(user: Any, company: Any) -> bool:
    attachment = attachment_of(user)
    return attachment is not None and attachment.company_id == getattr(company, "pk", company)


def can_manage_companies(user: Any) -> bool:
    """Create and delete companies, manage partner levels, attach and detach anyone, name contacts."""
    return core_policies.is_team(user)


def can_browse_directory(user: Any) -> bool:
    return core_policies.is_member_area_allowed(user)


def can_see_partners(user: Any) -> bool:
    """The partners wall is the community's public face: everyone (members-only pages stay unlinked)."""
    return True


def can_view_company(user: Any, company: Any) -> bool:
    if company.page_visibility == PageVisibility.PUBLIC:
        return True
    return core_policies.is_member_area_allowed(user)


def can_edit_company(user: Any, company: Any) -> bool:
    return core_policies.is_team(user) or is_contact_of(user, company)


def can_set_partner_level(user: Any) -> bool:
    return core_policies.is_team(user)


def can_manage_people(user: Any, company: Any) -> bool:
    """See the company's people page: every attached member, pending invitations, seats."""
    return core_policies.is_team(user) or is_contact_of(user, company)


def can_invite(user: Any, company: Any) -> bool:
    return can_manage_people(user, company)


def can_remove_member(user: Any, company: Any, member: Any) -> bool:
    """The team removes anyone; a contact removes colleagues who are not contacts (nor themselves)."""
    if core_policies.is_team(user):
        return True
    if not is_contact_of(user, company) or member.company_id != company.pk:
        return False
    return not member.is_contact and member.user_id != user.pk


def can_attach_members(user: Any) -> bool:
    return core_policies.is_team(user)


def can_set_contact(user: Any) -> bool:
    return core_policies.is_team(user)


def can_see_membership(user: Any, company: Any) -> bool:
    """The company's membership (tier, seats, end date): its contacts and the team."""
    return core_policies.is_team(user) or is_contact_of(user, company)


def can_see_member_in_listing(viewer: Any, member_user: Any, profile: Any) -> bool:
    """On a company page: members who hide themselves from the directory, or who keep their company
    from this viewer, are left out; anonymous visitors see no names at all; the team sees everyone."""
    if core_policies.is_team(viewer):
        return True
    if not core_policies.is_member_area_allowed(viewer):
        return False
    if profile is None:
        return member_user.is_active
    if not account_policies.is_listed_in_directory(viewer, member_user, profile):
        return False
    return account_policies.can_see_field(viewer, profile, "company")
