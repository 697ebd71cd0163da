"""Which models may own attachments, and who may see and change them.

An app whose objects carry attachments registers its model once, in its ``AppConfig.ready``::

    from tribu.media import owners
    owners.register(
        Post,
        can_view=lambda user, post: policies.can_view_post(user, post),   # may see the post → its files
        can_edit=lambda user, post: policies.can_edit_post(user, post),   # may add/remove files (API)
        url=lambda post: post_url(post),                                 # where the files are shown
    )

``media:download`` serves a file only when ``can_view(user, owner)`` is true (404 otherwise, so a
private owner is not revealed); ``attach`` and ``remove`` and the API ask ``can_edit``. An owner model
that is not registered has no readable or writable attachments: access is denied by default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class Owner:
    model: type[models.Model]
    can_view: Callable[[Any, Any], bool]
    can_edit: Callable[[Any, Any], bool]
    url: Callable[[Any], str] | None


_REGISTRY: dict[str, Owner] = {}


def _deny(user: Any, obj: Any) -> bool:
    return False


def register(
    model: type[models.Model],
    *,
    can_view: Callable[[Any, Any], bool],
    can_edit: Callable[[Any, Any], bool] | None = None,
    url: Callable[[Any], str] | None = None,
) -> None:
    """Let ``model`` own attachments; ``can_edit`` left out means nobody adds files through the API."""
    _REGISTRY[model._meta.label_lower] = Owner(model, can_view, can_edit or _deny, url)


def unregister(model: type[models.Model]) -> None:
    _REGISTRY.pop(model._meta.label_lower, None)


def get(label_or_model: str | type[models.Model] | models.Model) -> Owner | None:
    """The registration for ``"feed.post"``, ``Post`` or a post; ``None`` if it is not registered."""
    label = label_or_model if isinstance(label_or_model, str) else label_or_model._meta.label_lower
    return _REGISTRY.get(label.lower())


def labels() -> list[str]:
    return sorted(_REGISTRY)


def can_view(user: Any, owner: Any) -> bool:
    registration = get(owner) if owner is not None else None
    return bool(registration and registration.can_view(user, owner))


def can_edit(user: Any, owner: Any) -> bool:
    registration = get(owner) if owner is not None else None
    return bool(registration and getattr(user, "is_authenticated", False) and registration.can_edit(user, owner))


def url_of(owner: Any) -> str:
    registration = get(owner)
    if registration is None or registration.url is None:
        return ""
    return registration.url(owner)
