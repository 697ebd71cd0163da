"""``{% load billing %}{% billing_summary %}`` on the member's membership page: next due date, a
"renew now" button, the payment history with its documents (two queries)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("billing/_member_summary.html", takes_context=True)
def billing_summary(context: dict[str, Any]) -> dict[str, Any]:
    from tribu.billing import queries, renewals
    from tribu.memberships.models import CURRENT_STATUSES, Membership

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    company_id = queries.contact_company_id(user)
    owned = Membership.objects.filter(user=user) if not company_id else Membership.objects.filter(
        company_id=company_id)
    overview = context.get("overview")
    membership = getattr(overview, "current", None)
    if company_id or membership is None:
        membership = owned.filter(status__in=CURRENT_STATUSES).select_related("tier", "company").first() or (
            owned.filter(status="expired").select_related("tier", "company").order_by("-ends_on").first())
    today = timezone.localdate()
    automatic = bool(membership is not None and membership.status == "active" and renewals.auto_renews(membership))
    renewable = bool(
        membership is not None and not automatic and membership.tier.price_cents and membership.ends_on is not None
        and membership.status in ("active", "grace", "expired")
        and (membership.ends_on - today).days <= 60
    )
    return {
        "show": True,
        "automatic": automatic,
        "membership": membership,
        "renewable": renewable,
        "renew_url": renewals.renew_url(membership) if membership is not None else "",
        "days_left": (membership.ends_on - today).days if membership is not None and membership.ends_on else None,
        "payments": queries.payment_history(user),
        "for_company": bool(company_id),
    }
