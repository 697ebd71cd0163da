"""Writes of the media app: attach files to an owner, describe a picture, remove a file.

Callers (feed, library, the API) use these; the owner's model must be registered with
``tribu.media.owners.register`` and the actor must pass its ``can_edit``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from tribu.core.activity import record

from . import conf, owners
from .images import prepare_image
from .models import Attachment, AttachmentKind
from .validation import check_upload

logger = logging.getLogger(__name__)
MAX_ALT = 300
MAX_NAME = 255


def _group_of(owner: Any) -> Any:
    return getattr(owner, "group_id", None)


def _alt_for(alts: Sequence[str] | Mapping[int, str] | None, index: int) -> str:
    if alts is None:
        return ""
    if isinstance(alts, Mapping):
        return " ".join(str(alts.get(index) or "").split())
    return " ".join(str(alts[index] or "").split()) if index < len(alts) else ""


def _clean_name(name: str, extension: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|*?:').strip(" .") or _("file")
    stem = base[: base.rfind(".")] if "." in base else base
    # The name shown and offered on download ends with the type the content really has.
    return f"{stem[: MAX_NAME - len(extension)]}{extension}"


def check_can_edit(actor: Any, owner: Any) -> None:
    if owners.get(owner) is None:
        raise LookupError(
            f"{owner._meta.label} is not registered with tribu.media.owners.register: it cannot own attachments"
        )
    if not owners.can_edit(actor, owner):
        raise PermissionDenied(_("You may not change the attachments of this."))


def attach(
    owner: Any,
    files: Sequence[Any],
    *,
    actor: Any,
    alts: Sequence[str] | Mapping[int, str] | None = None,
    kinds: tuple[str, ...] = ("image", "document"),
) -> list[Attachment]:
    """Check every file, then keep them all (or none) after ``owner``'s existing attachments.

    ``alts`` gives each picture its description, by position in ``files``. Raises ``ValidationError``
    (every refused file named, in the member's language) or ``PermissionDenied``.
    """
    check_can_edit(actor, owner)
    files = [file for file in files if file]
    if not files:
        return []
    owner_type = ContentType.objects.get_for_model(owner)
    existing = Attachment.objects.filter(owner_type=owner_type, owner_id=owner.pk)
    if existing.count() + len(files) > conf.max_files():
        raise ValidationError(_("At most %(max)s files can be attached.") % {"max": conf.max_files()}, code="too_many")
    errors: list[str] = []
    prepared: list[tuple[Any, Any, Any]] = []
    for file in files:
        try:
            checked = check_upload(file, kinds=kinds)
        except ValidationError as exc:
            name = str(getattr(file, "name", "") or "").rsplit("/", 1)[-1]
            errors.extend(f"{name}: {message}" if name else message for message in exc.messages)
            continue
        image = None
        if checked.kind == AttachmentKind.IMAGE:
            try:
                image, checked = prepare_image(file, checked)
            except (OSError, ValueError, SyntaxError) as exc:
                logger.info("picture %r could not be re-encoded: %s", getattr(file, "name", ""), exc)
                errors.append(_("%(name)s: this picture could not be read.") % {"name": file.name})
                continue
        prepared.append((file, checked, image))
    if errors:
        raise ValidationError(errors, code="invalid")
    for index, (_file, _checked, _image) in enumerate(prepared):
        if len(_alt_for(alts, index)) > MAX_ALT:
            raise ValidationError(
                _("A picture description is at most %(max)s characters.") % {"max": MAX_ALT}, code="alt_too_long"
            )

    created: list[Attachment] = []
    try:
        with transaction.atomic():
            top = existing.aggregate(top=Max("position"))["top"]
            start = 0 if top is None else top + 1
            for index, (file, checked, image) in enumerate(prepared):
                attachment = Attachment(
                    owner_type=owner_type,
                    owner_id=owner.pk,
                    kind=checked.kind,
                    original_name=_clean_name(str(getattr(file, "name", "")), checked.extension),
                    content_type=checked.content_type,
                    size=checked.size,
                    width=checked.width,
                    height=checked.height,
                    alt=_alt_for(alts, index) if checked.kind == AttachmentKind.IMAGE else "",
                    position=start + index,
                    uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
                if image is not None:
                    attachment.file.save(f"x{checked.extension}", image.content, save=False)
                    attachment.thumbnail.save("t.jpg", image.thumbnail, save=False)
                else:
                    file.seek(0)
                    attachment.file.save(f"x{checked.extension}", file, save=False)
                attachment.save()
                created.append(attachment)
            record(
                actor,
                "attachment.added",
                owner,
                group=_group_of(owner),
                count=len(created),
                names=[attachment.original_name for attachment in created],
            )
    except BaseException:
        for attachment in created:
            _delete_files(attachment)
        raise
    return created


def _delete_files(attachment: Attachment) -> None:
    for field in (attachment.file, attachment.thumbnail):
        if field and field.name:
            try:
                field.storage.delete(field.name)
            except OSError:  # already gone: nothing to free
                logger.warning("could not delete %s", field.name)


def describe(actor: Any, attachment: Attachment, alt: str) -> Attachment:
    """Set a picture's description (its alt text)."""
    check_can_edit(actor, attachment.owner)
    alt = " ".join((alt or "").split())
    if len(alt) > MAX_ALT:
        raise ValidationError(
            _("A picture description is at most %(max)s characters.") % {"max": MAX_ALT}, code="alt_too_long"
        )
    attachment.alt = alt
    attachment.save(update_fields=["alt"])
    return attachment


def remove(actor: Any, attachment: Attachment) -> None:
    """Delete the attachment; its files go once the deletion is committed."""
    owner = attachment.owner
    check_can_edit(actor, owner)
    with transaction.atomic():
        attachment.delete()
        record(actor, "attachment.removed", owner, group=_group_of(owner), name=attachment.original_name)
        transaction.on_commit(lambda: _delete_files(attachment))


def remove_all(owner: Any) -> int:
    """Drop every attachment of ``owner`` (call it from the owner's own hard-delete action)."""
    owner_type = ContentType.objects.get_for_model(owner)
    attachments = list(Attachment.objects.filter(owner_type=owner_type, owner_id=owner.pk))
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
    transaction.on_commit(lambda: [_delete_files(a) for a in attachments])
    return len(attachments)
