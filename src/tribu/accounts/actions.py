"""Writes on accounts: language, account, roles, profiles (with photos, tags and custom answers), the
custom fields admins define and the signup form."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tribu.core import policies
from tribu.core.activity import record
from tribu.core.notifications.actions import notify_role_changed, notify_welcome

from .models import CustomField, CustomFieldValue, Profile, Role, SignupField, Tag, TagKind, User


def set_language(user: User, language: str) -> None:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def update_account(user: User, changed: list[str]) -> None:
    with transaction.atomic():
        user.save(update_fields=changed)
        record(user, "account.updated", user, fields=sorted(changed))


def accept_charter(user: User) -> None:
    user.charter_accepted_at = timezone.now()
    user.save(update_fields=["charter_accepted_at"])
    record(user, "charter.accepted", user)
    from tribu.privacy.actions import record_charter_consent  # the consent record: text + version

    record_charter_consent(user)


def change_role(actor: Any, target: User, new_role: str) -> User:
    if new_role not in Role.values:
        raise ValidationError(_("Unknown role."))
    if not policies.can_change_role(actor, target, new_role):
        raise PermissionDenied
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=target.pk)
        old_role = locked.role
        if old_role == new_role:
            return locked
        locked.role = new_role
        locked.is_staff = new_role in {Role.ADMIN, Role.STAFF}
        locked.is_superuser = new_role == Role.ADMIN
        locked.save(update_fields=["role", "is_staff", "is_superuser"])
        activity = record(actor, "member.role_changed", locked, audit=True, old=old_role, new=new_role)
        notify_role_changed(actor, locked, old_role, new_role, activity=activity)
    return locked


def welcome_member(user: User) -> bool:
    """The member's first verified address: they have joined. Recorded once, whatever happens after."""
    from tribu.core.models import Activity

    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if Activity.objects.filter(actor=locked, verb="member.joined").exists():
            return False
        activity = record(locked, "member.joined", locked)
        notify_welcome(locked, activity=activity)
    return True


# --- profiles -------------------------------------------------------------------------------------

PROFILE_TEXT_FIELDS = ("job_title", "organisation", "bio", "city", "region", "country", "website")


def ensure_profile(user: User) -> Profile:
    profile, _created = Profile.objects.get_or_create(user=user)
    return profile


def _refresh_directory(user_ids: list[int]) -> None:
    from .changes import members_changed

    members_changed(user_ids)


def check_profile_data(user: User, data: dict[str, Any]) -> dict[str, Any]:
    """Validate a (possibly partial) profile change, the same way for the pages and the API.

    ``data`` may hold: ``display_name``, any standard field (``profile_fields.STANDARD_FIELDS``),
    ``visibility`` ({field: "members"|"staff"}), ``hidden_from_directory``, ``photo`` (an upload),
    ``remove_photo``, ``custom`` ({key: raw answer, or an upload / ``False`` for the file kind}).
    Returns the cleaned change; raises ``ValidationError`` with one message list per field."""
    from . import custom_fields as cf
    from . import queries
    from .images import ImageRefused, open_image
    from .policies import MEMBER_CHOICES, OPTIONAL_FIELDS
    from .profile_fields import STANDARD_FIELDS, clean_standard

    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    required_standard = set(queries.required_standard_fields())
    for key, raw in data.items():
        try:
            if key == "display_name":
                name = " ".join(str(raw or "").split())
                if not name:
                    raise ValidationError(_("Enter the name other members will see."))
                if len(name) > 150:
                    raise ValidationError(_("Keep it under %(limit)d characters (it has %(length)d).")
                                          % {"limit": 150, "length": len(name)})
                clean[key] = name
            elif key in STANDARD_FIELDS:
                clean[key] = clean_standard(key, raw, required=key in required_standard)
            elif key == "visibility":
                if not isinstance(raw, dict):
                    raise ValidationError(_("Give one level per field."))
                levels = {}
                for field, level in raw.items():
                    if field not in OPTIONAL_FIELDS:
                        errors.setdefault(f"visibility.{field}", []).append(_("This field has no visibility choice."))
                    elif level not in MEMBER_CHOICES:
                        errors.setdefault(f"visibility.{field}", []).append(
                            _("Choose « members » or « staff »."))
                    else:
                        levels[field] = str(level)
                clean[key] = levels
            elif key in {"hidden_from_directory", "remove_photo"}:
                if not isinstance(raw, bool):
                    raise ValidationError(_("Answer yes or no."))
                clean[key] = raw
            elif key == "photo":
                if raw:
                    try:
                        clean[key] = open_image(raw)
                    except ImageRefused as exc:
                        raise ValidationError(str(exc)) from None
            elif key == "custom":
                if not isinstance(raw, dict):
                    raise ValidationError(_("Give one answer per field key."))
                fields = {f.key: f for f in queries.active_custom_fields()}
                values = queries.custom_values_of(user)
                answers = {}
                for field_key, answer in raw.items():
                    field = fields.get(field_key)
                    name = f"cf_{field_key}"
                    if field is None:
                        errors.setdefault(name, []).append(_("There is no such field."))
                        continue
                    stored = values.get(field.pk)
                    try:
                        if field.kind == "file" and answer is False:
                            if field.required:
                                raise ValidationError(_("This field is required."))
                            answers[field] = False
                        elif field.kind == "file" and not answer and stored is not None and stored.file:
                            continue  # nothing sent: keep the file already there
                        else:
                            answers[field] = cf.clean_value(
                                field, answer, current=stored.value if stored else None, required=field.required
                            )
                    except ValidationError as exc:
                        errors.setdefault(name, []).extend(exc.messages)
                clean[key] = answers
            else:
                errors.setdefault(key, []).append(_("This field is not accepted."))
        except ValidationError as exc:
            errors.setdefault(key, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return clean


def update_profile(actor: Any, user: User, data: dict[str, Any]) -> Profile:
    """Change ``user``'s profile (see ``check_profile_data`` for ``data``); records ``profile.updated``
    with the names of the fields that changed and refreshes the directory entry after the commit."""
    from .policies import can_edit_profile

    if not can_edit_profile(actor, user):
        raise PermissionDenied
    clean = check_profile_data(user, data)
    old_files: list[Any] = []
    with transaction.atomic():
        ensure_profile(user)
        profile = Profile.objects.select_for_update().get(pk=user.pk)
        changed: list[str] = []
        if "display_name" in clean and clean["display_name"] != user.display_name:
            user.display_name = clean["display_name"]
            user.save(update_fields=["display_name"])
            changed.append("display_name")
        update_fields = []
        for name in (*PROFILE_TEXT_FIELDS, "languages", "social_links"):
            if name in clean and getattr(profile, name) != clean[name]:
                setattr(profile, name, clean[name])
                update_fields.append(name)
        if "visibility" in clean:
            merged = {**(profile.field_visibility or {}), **clean["visibility"]}
            if merged != profile.field_visibility:
                profile.field_visibility = merged
                update_fields.append("field_visibility")
        if "hidden_from_directory" in clean and clean["hidden_from_directory"] != profile.hidden_from_directory:
            profile.hidden_from_directory = clean["hidden_from_directory"]
            update_fields.append("hidden_from_directory")
        if clean.get("photo") is not None:
            old_files += [profile.photo.name, profile.photo_thumbnail.name]
            _store_photo(profile, clean["photo"])
            update_fields += ["photo", "photo_thumbnail"]
        elif clean.get("remove_photo") and profile.photo:
            old_files += [profile.photo.name, profile.photo_thumbnail.name]
            profile.photo = profile.photo_thumbnail = ""  # type: ignore[assignment]
            update_fields += ["photo", "photo_thumbnail"]
        if update_fields:
            profile.save(update_fields=[*update_fields, "updated_at"])
            changed += update_fields
        for kind in ("skills", "interests"):
            if kind in clean and _set_tags(profile, kind, clean[kind]):
                changed.append(kind)
        if clean.get("custom"):
            changed += _save_answers(user, clean["custom"], old_files)
        if changed:
            record(actor, "profile.updated", user, fields=sorted(set(changed)))
            _refresh_directory([user.pk])
        files = [name for name in old_files if name]
        if files:
            transaction.on_commit(lambda: _delete_files(files))
    return profile


def _delete_files(names: list[str]) -> None:
    import contextlib

    from django.core.files.storage import default_storage

    for name in names:
        with contextlib.suppress(OSError):  # a missing file is already what we want
            default_storage.delete(name)


def _store_photo(profile: Profile, image: Any) -> None:
    """The photo re-encoded (at most 1200 px, metadata such as GPS position dropped) and its square thumbnail."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image, ImageOps

    from .images import square_thumbnail

    name = uuid.uuid4().hex
    upright = ImageOps.exif_transpose(image)
    bounded = upright.copy()
    bounded.thumbnail((1200, 1200), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if bounded.mode in ("RGBA", "LA", "P"):
        bounded.convert("RGBA").save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        bounded.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
        extension = "jpg"
    profile.photo.save(f"{name}.{extension}", ContentFile(out.getvalue()), save=False)
    profile.photo_thumbnail.save(f"{name}.jpg", square_thumbnail(upright), save=False)


def _tags_for(kind: str, names: list[str]) -> list[Tag]:
    """The tags with these names (matched by slug), creating the missing ones."""
    from django.db import IntegrityError
    from django.utils.text import slugify

    by_slug = {slugify(n): n for n in names}
    existing = {t.slug: t for t in Tag.objects.filter(kind=kind, slug__in=by_slug)}
    tags = []
    for slug, name in by_slug.items():
        tag = existing.get(slug)
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(kind=kind, slug=slug[:80], name=name[:60])
            except IntegrityError:  # someone created it at the same moment
                tag = Tag.objects.get(kind=kind, slug=slug[:80])
        tags.append(tag)
    return tags


def _set_tags(profile: Profile, relation: str, names: list[str]) -> bool:
    kind = TagKind.SKILL if relation == "skills" else TagKind.INTEREST
    tags = _tags_for(kind, names)
    manager = getattr(profile, relation)
    before = set(manager.values_list("pk", flat=True))
    after = {t.pk for t in tags}
    if before == after:
        return False
    manager.set(tags)
    return True


def _save_answers(user: User, answers: dict[Any, Any], old_files: list[Any]) -> list[str]:
    from . import custom_fields as cf

    changed = []
    existing = {v.field_id: v for v in CustomFieldValue.objects.select_for_update().filter(user=user)}
    for field, value in answers.items():
        stored = existing.get(field.pk)
        if field.kind == "file":
            if value is False or value is None:
                if stored is not None and stored.file:
                    old_files.append(stored.file.name)
                    stored.delete()
                    changed.append(f"cf_{field.key}")
                continue
            if stored is None:
                stored = CustomFieldValue(user=user, field=field)
            elif stored.file:
                old_files.append(stored.file.name)
            stored.value = cf.file_value(value)
            # A random name: media URLs must not be guessable from a member's file name.
            extension = os.path.splitext(str(value.name))[1].lower()[:8]
            stored.file.save(f"{uuid.uuid4().hex}{extension}", value, save=False)
            stored.save()
            changed.append(f"cf_{field.key}")
            continue
        if cf.is_empty(value):
            if stored is not None:
                stored.delete()
                changed.append(f"cf_{field.key}")
            continue
        if stored is None:
            CustomFieldValue.objects.create(user=user, field=field, value=value)
        elif stored.value != value:
            stored.value = value
            stored.save(update_fields=["value", "updated_at"])
        else:
            continue
        changed.append(f"cf_{field.key}")
    return changed


# --- custom fields (admins) -----------------------------------------------------------------------

CUSTOM_FIELD_ATTRS = (
    "key", "kind", "label_fr", "label_en", "help_fr", "help_en", "choices", "required", "on_signup",
    "visibility", "directory_filter", "segmentable",
)


def check_custom_field_data(data: dict[str, Any], instance: CustomField | None = None) -> dict[str, Any]:
    """Validate a custom field's definition (whole for a new one, partial for a change)."""
    from django.utils.text import slugify

    from . import custom_fields as cf
    from .models import CustomFieldKind, Visibility

    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    creating = instance is None

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for key, raw in data.items():
        if key not in CUSTOM_FIELD_ATTRS:
            fail(key, _("This field is not accepted."))
        elif key in {"required", "on_signup", "directory_filter", "segmentable"}:
            if not isinstance(raw, bool):
                fail(key, _("Answer yes or no."))
            else:
                clean[key] = raw
        elif key == "kind":
            if raw not in CustomFieldKind.values:
                fail(key, _("Unknown kind of field."))
            elif not creating and raw != instance.kind and instance.values.exists():  # type: ignore[union-attr]
                fail(key, _("Members have already answered this field: its type cannot change any more. "
                            "Archive it and create a new one instead."))
            else:
                clean[key] = raw
        elif key == "visibility":
            if raw not in Visibility.values:
                fail(key, _("Choose who may see the answers."))
            else:
                clean[key] = raw
        elif key == "choices":
            try:
                clean[key] = cf.parse_choices(raw) if isinstance(raw, str) else _choices_list(raw)
            except ValidationError as exc:
                errors.setdefault(key, []).extend(exc.messages)
        elif key == "key":
            value = slugify(str(raw or "")).replace("-", "_")[:60]
            if not value:
                fail(key, _("Give a key made of letters, digits and underscores."))
            elif CustomField.objects.filter(key=value).exclude(pk=getattr(instance, "pk", None)).exists():
                fail(key, _("Another field already uses this key."))
            else:
                clean[key] = value
        else:
            text = " ".join(str(raw or "").split())
            limit = 120 if key.startswith("label") else 300
            if key == "label_fr" and not text:
                fail(key, _("Give the label in French."))
            elif len(text) > limit:
                fail(key, _("Keep it under %(limit)d characters (it has %(length)d).")
                     % {"limit": limit, "length": len(text)})
            else:
                clean[key] = text
    if creating:
        for needed in ("kind", "label_fr"):
            if needed not in data:
                fail(needed, _("This field is required."))
        if "key" not in data and "label_fr" in clean:
            base = slugify(clean["label_fr"]).replace("-", "_")[:50] or "field"
            candidate, n = base, 1
            while CustomField.objects.filter(key=candidate).exists():
                n += 1
                candidate = f"{base}_{n}"
            clean["key"] = candidate
    kind = clean.get("kind", getattr(instance, "kind", None))
    choices = clean.get("choices", getattr(instance, "choices", None) or [])
    if kind in cf.CHOICE_KINDS and not choices and "kind" not in errors:
        fail("choices", _("Offer at least one choice, one per line."))
    if kind == "file" and clean.get("on_signup"):
        fail("on_signup", _("Files cannot be asked for on the signup form."))
    if errors:
        raise ValidationError(errors)
    return clean


def _choices_list(raw: Any) -> list[dict[str, str]]:
    from . import custom_fields as cf

    if not isinstance(raw, list):
        raise ValidationError(_("Give a list of choices."))
    lines = []
    for item in raw:
        if isinstance(item, str):
            lines.append(item.replace("|", "/"))
        elif isinstance(item, dict) and item.get("value"):
            lines.append(" | ".join(str(item.get(k, "") or "").replace("|", "/")
                                    for k in ("value", "label_fr", "label_en")))
        else:
            raise ValidationError(_("Each choice needs a value."))
    return cf.parse_choices("\n".join(lines))


def _users_answering(field: CustomField) -> list[int]:
    return list(CustomFieldValue.objects.filter(field=field).values_list("user_id", flat=True))


def create_custom_field(actor: Any, data: dict[str, Any]) -> CustomField:
    from django.db.models import Max

    from .policies import can_manage_custom_fields

    if not can_manage_custom_fields(actor):
        raise PermissionDenied
    clean = check_custom_field_data(data)
    with transaction.atomic():
        last = CustomField.objects.aggregate(m=Max("position"))["m"]
        field = CustomField.objects.create(**clean, position=(last or 0) + 1)
        _sync_signup_entry(field)
        record(actor, "custom_field.created", field, audit=True, label=field.label_fr, key=field.key)
    return field


@dataclass
class FieldChange:
    field: CustomField
    # Choices taken away that members still hold: value → how many members (kept as they are).
    kept_values: dict[str, int]
    newly_required: bool


def update_custom_field(actor: Any, field: CustomField, data: dict[str, Any]) -> FieldChange:
    """Change a field's definition. Answers holding a choice that is no longer offered are kept (shown
    as their value and still offered to those members until they pick another); ``kept_values``
    says which and how many. A field becoming required sends members who lack it to the "complete
    your profile" page at their next log-in."""
    from . import queries
    from .policies import can_manage_custom_fields

    if not can_manage_custom_fields(actor):
        raise PermissionDenied
    clean = check_custom_field_data(data, instance=field)
    with transaction.atomic():
        locked = CustomField.objects.select_for_update().get(pk=field.pk)
        removed: list[str] = []
        if "choices" in clean:
            from . import custom_fields as cf

            removed = cf.removed_values(locked.choices, clean["choices"])
        newly_required = bool(clean.get("required")) and not locked.required
        changed = [k for k, v in clean.items() if getattr(locked, k) != v]
        for key in changed:
            setattr(locked, key, clean[key])
        kept = {v: n for v, n in queries.choice_usage(locked, removed).items() if n}
        if changed:
            locked.save(update_fields=changed)
            _sync_signup_entry(locked)
            record(actor, "custom_field.updated", locked, audit=True, label=locked.label_fr, fields=sorted(changed),
                   kept_values=kept)
            if set(changed) & {"choices", "visibility", "directory_filter", "active"}:
                _refresh_directory(_users_answering(locked))
    return FieldChange(locked, kept, newly_required)


def archive_custom_field(actor: Any, field: CustomField, *, active: bool = False) -> CustomField:
    """Archive (hide everywhere, answers kept) or restore a custom field."""
    from .policies import can_manage_custom_fields

    if not can_manage_custom_fields(actor):
        raise PermissionDenied
    with transaction.atomic():
        locked = CustomField.objects.select_for_update().get(pk=field.pk)
        if locked.active == active:
            return locked
        locked.active = active
        locked.save(update_fields=["active"])
        verb = "custom_field.restored" if active else "custom_field.archived"
        record(actor, verb, locked, audit=True, label=locked.label_fr, key=locked.key)
        _refresh_directory(_users_answering(locked))
    return locked


def reorder_custom_fields(actor: Any, ordered_ids: list[int]) -> None:
    """Put the fields in this order (fields not listed keep their place after them)."""
    from .policies import can_manage_custom_fields

    if not can_manage_custom_fields(actor):
        raise PermissionDenied
    with transaction.atomic():
        fields = list(CustomField.objects.select_for_update().order_by("position", "id"))
        rank = {pk: i for i, pk in enumerate(ordered_ids)}
        fields.sort(key=lambda f: (rank.get(f.pk, len(rank)), f.position, f.pk))
        moved = []
        for position, f in enumerate(fields, start=1):
            if f.position != position:
                f.position = position
                moved.append(f)
        if moved:
            CustomField.objects.bulk_update(moved, ["position"])
            record(actor, "custom_field.reordered", None, audit=True)


def move_custom_field(actor: Any, field: CustomField, step: int) -> None:
    ids = list(CustomField.objects.order_by("position", "id").values_list("pk", flat=True))
    if field.pk not in ids:
        return
    i = ids.index(field.pk)
    j = max(0, min(len(ids) - 1, i + step))
    ids[i], ids[j] = ids[j], ids[i]
    reorder_custom_fields(actor, ids)


def _sync_signup_entry(field: CustomField) -> None:
    """A custom field's ``on_signup`` flag and its row on the signup form go together."""
    from django.db.models import Max

    entry = SignupField.objects.filter(custom_field=field).first()
    if field.on_signup and field.active and field.kind != "file" and entry is None:
        last = SignupField.objects.aggregate(m=Max("position"))["m"]
        SignupField.objects.create(custom_field=field, position=(last or 0) + 1)
    elif not field.on_signup and entry is not None:
        entry.delete()


# --- the signup form ------------------------------------------------------------------------------


def configure_signup_form(actor: Any, items: list[dict[str, Any]]) -> None:
    """Replace the signup form's questions: ``items`` in order, each ``{"standard": name}`` or
    ``{"custom_field": id}`` with ``"required"``. A custom field's ``required`` is the field's own
    (required for every member); fields left out are no longer asked at signup."""
    from .policies import can_manage_custom_fields
    from .profile_fields import SIGNUP_STANDARD

    if not can_manage_custom_fields(actor):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    fields = {f.pk: f for f in CustomField.objects.filter(active=True)}
    rows: list[SignupField] = []
    seen: set[str] = set()
    for position, item in enumerate(items, start=1):
        standard = str(item.get("standard") or "")
        field_id = item.get("custom_field")
        ident = standard or f"cf{field_id}"
        if ident in seen:
            continue
        seen.add(ident)
        if standard:
            if standard not in SIGNUP_STANDARD:
                errors.setdefault(standard, []).append(_("This field cannot be asked at signup."))
                continue
            rows.append(SignupField(standard=standard, required=bool(item.get("required")), position=position))
        else:
            field = fields.get(int(field_id)) if str(field_id).isdigit() else None
            if field is None or field.kind == "file":
                errors.setdefault(f"cf{field_id}", []).append(_("This field cannot be asked at signup."))
                continue
            rows.append(SignupField(custom_field=field, required=bool(item.get("required")), position=position))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        list(CustomField.objects.select_for_update().filter(pk__in=fields))
        SignupField.objects.all().delete()
        SignupField.objects.bulk_create(rows)
        chosen = {row.custom_field.pk: row.required for row in rows if row.custom_field is not None}
        for field in fields.values():
            on_signup = field.pk in chosen
            required = chosen.get(field.pk, field.required)
            if field.on_signup != on_signup or field.required != required:
                field.on_signup, field.required = on_signup, required
                field.save(update_fields=["on_signup", "required"])
        record(actor, "signup_form.updated", None, audit=True,
               fields=[row.standard or row.custom_field.key for row in rows])  # type: ignore[union-attr]
