"""Every write about segments. Each action checks permission (``PermissionDenied``), validates
(``ValidationError``), writes in one transaction and records the activity (audit log)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tribu.core.activity import record

from . import filters as segment_filters
from . import policies
from .models import Segment

NAME_MAX = 120
DESCRIPTION_MAX = 300


def _require(user: Any) -> None:
    if not policies.can_manage_segments(user):
        raise PermissionDenied(_("Only the community team manages segments."))


def check_fields(name: Any, description: Any) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip() if isinstance(name, str) else name
    description = (description or "").strip() if isinstance(description, str) else description
    if not isinstance(name, str) or not name:
        errors["name"] = [_("Give the segment a name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("The name is %(n)d characters at most.") % {"n": NAME_MAX}]
    if not isinstance(description, str):
        errors["description"] = [_("The description must be text.")]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("The description is %(n)d characters at most.") % {"n": DESCRIPTION_MAX}]
    if errors:
        raise ValidationError(errors)
    return name, description


def check_filters(filters: Any) -> dict[str, Any]:
    """The validated filters, or a ``ValidationError`` keyed ``filters``."""
    try:
        return segment_filters.validate(filters)
    except ValidationError as error:
        raise ValidationError({"filters": error.messages}) from None


def create_segment(actor: Any, *, name: str, description: str = "", filters: Any = None) -> Segment:
    _require(actor)
    errors: dict[str, list[str]] = {}
    try:
        name, description = check_fields(name, description)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        filters = check_filters(filters)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        segment = Segment.objects.create(name=name, description=description, filters=filters, created_by=actor)
        record(actor, "segment.created", segment, audit=True, name=segment.name)
    return segment


def update_segment(actor: Any, segment: Segment, **values: Any) -> Segment:
    """Change ``name``, ``description`` and/or ``filters`` (keys not given are kept)."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    name = values.get("name", segment.name)
    description = values.get("description", segment.description)
    try:
        name, description = check_fields(name, description)
    except ValidationError as error:
        errors.update(error.message_dict)
    filters = segment.filters
    if "filters" in values:
        try:
            filters = check_filters(values["filters"])
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Segment.objects.select_for_update().get(pk=segment.pk)
        changed = [
            f for f, v in (("name", name), ("description", description), ("filters", filters))
            if getattr(locked, f) != v
        ]
        locked.name, locked.description, locked.filters = name, description, filters
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            record(actor, "segment.updated", locked, audit=True, name=locked.name, fields=changed)
    segment.refresh_from_db()
    return segment


def duplicate_segment(actor: Any, segment: Segment) -> Segment:
    _require(actor)
    name = (_("Copy of %(name)s") % {"name": segment.name})[:NAME_MAX]
    with transaction.atomic():
        copy = Segment.objects.create(
            name=name, description=segment.description, filters=segment.filters, created_by=actor
        )
        record(actor, "segment.duplicated", copy, audit=True, name=copy.name, source=segment.name)
    return copy


def delete_segment(actor: Any, segment: Segment) -> None:
    """Refused (``ValidationError``) while campaigns target it: they need it to know who got them.
    A campaign attached at the same moment makes the database refuse the delete at commit (the
    foreign key): the same refusal, nothing deleted."""
    _require(actor)
    try:
        with transaction.atomic():
            locked = Segment.objects.select_for_update().filter(pk=segment.pk).first()
            if locked is None:
                return
            record(actor, "segment.deleted", None, audit=True, name=locked.name, segment_id=locked.pk)
            locked.delete()
    except ProtectedError as error:  # a subclass of IntegrityError: caught first
        n = len(error.protected_objects)
        raise ValidationError(
            ngettext(
                "A campaign targets this segment: it cannot be deleted.",
                "%(n)d campaigns target this segment: it cannot be deleted.",
                n,
            ) % {"n": n}
        ) from None
    except IntegrityError:  # the foreign key, at commit: a campaign attached meanwhile
        raise ValidationError(_("A campaign was just set to target this segment: it cannot be deleted.")) from None


def record_export(actor: Any, segment: Segment, rows: int) -> None:
    """Exporting members' addresses is personal data leaving the platform: it goes in the audit log."""
    if not policies.can_export_members(actor):
        raise PermissionDenied(_("Only the community team exports members."))
    record(actor, "segment.exported", segment, audit=True, name=segment.name, rows=rows)


def lock_segment(segment_id: int) -> Segment:
    """For other apps pointing a row at a segment (a campaign): call inside their transaction, before
    writing, so a delete running at the same time waits and then sees the new row (and refuses)
    instead of deleting the segment under them. ``Segment.DoesNotExist`` if it is already gone."""
    return Segment.objects.select_for_update().get(pk=segment_id)
