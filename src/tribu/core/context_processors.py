from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from . import queries
from .community import get_community
from .navigation import areas_for


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    return {
        "community": get_community(),
        "nav_areas": areas_for(user, request.path) if authenticated else [],
        "unread_notifications": queries.unread_notification_count(user) if authenticated else 0,
        "LANGUAGE_CHOICES": settings.LANGUAGES,
    }
