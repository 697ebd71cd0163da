from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .models import Role, User


def role_counts() -> dict[str, int]:
    rows = User.objects.filter(is_active=True).values("role").annotate(n=Count("id"))
    counts = {r.value: 0 for r in Role}
    counts.update({row["role"]: row["n"] for row in rows})
    return counts


def members_for_admin(*, role: str = "", search: str = "") -> QuerySet[User]:
    qs = User.objects.order_by("display_name", "email")
    if role in Role.values:
        qs = qs.filter(role=role)
    if search:
        qs = qs.filter(Q(email__icontains=search) | Q(display_name__icontains=search))
    return qs
