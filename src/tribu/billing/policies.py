"""Who may do what with billing documents and renewals. Views and the API ask here.

- The community team (admins, staff) sees every document, the renewals page, the accounting export
  and edits the organisation's legal details.
- A member downloads their own documents; a company's contacts download the company's.
- Anyone else gets a 404 for a document (its existence is not revealed).
"""

from __future__ import annotations

from typing import Any

from tribu.core import policies as core_policies


def can_manage_billing(user: Any) -> bool:
    return core_policies.is_team(user)


def can_export_accounting(user: Any) -> bool:
    return core_policies.is_team(user)


def _contact_company_id(user: Any) -> int | None:
    try:
        attachment = user.company_attachment
    except Exception:
        return None
    return attachment.company_id if attachment is not None and attachment.is_contact else None


def can_view_document(user: Any, document: Any) -> bool:
    if not core_policies.is_member_area_allowed(user):
        return False
    if core_policies.is_team(user):
        return True
    if document.user_id is not None and document.user_id == user.pk:
        return True
    return document.company_id is not None and document.company_id == _contact_company_id(user)


def can_request_invoice(user: Any, payment: Any) -> bool:
    if core_policies.is_team(user):
        return True
    if not core_policies.is_member_area_allowed(user):
        return False
    if payment.company_id is not None:
        return payment.company_id == _contact_company_id(user)
    return payment.user_id == user.pk


def can_view_own_billing(user: Any) -> bool:
    return core_policies.is_member_area_allowed(user)


def can_renew_company(user: Any, company: Any) -> bool:
    """A company's contacts renew its membership for every seat (the team grants and extends directly)."""
    return core_policies.is_member_area_allowed(user) and _contact_company_id(user) == getattr(company, "pk", company)
