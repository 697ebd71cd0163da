"""Every write the library knows. Views, the API, the demo and tests call these; nothing else writes
its tables. Each action checks permission, validates (a ``ValidationError`` with translated messages
per field, before anything is written), writes in one transaction, records the activity and asks
search to re-index after the commit.

- ``create_resource(actor, *, group=None, kind, title, ...)``, ``update_resource(actor, resource, **changes)``,
  ``delete_resource(actor, resource)``, ``set_featured(actor, resource, featured)``;
- ``record_download(user, resource)``: one more download (``F()``), recorded;
- ``open_discussion(actor, resource)``: the resource's feed post, created once through
  ``tribu.feed.actions.create_post`` in the resource's group (or the community feed);
- ``create_category``, ``update_category``, ``delete_category``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tribu.core.activity import record
from tribu.memberships.models import RestrictionMode
from tribu.search.indexing import index_later, remove_later

from . import policies
from .models import Category, Resource, ResourceKind

MAX_BODY = 100_000
MAX_SUMMARY = 400
MAX_TITLE = 200
URL_KINDS = {ResourceKind.VIDEO, ResourceKind.PODCAST, ResourceKind.LINK}
FIELDS = ("kind", "title", "summary", "body", "url", "cover_alt", "category", "featured", "published",
          "restriction_mode")


def render_body(body: str) -> str:
    """Sanitised HTML of the Markdown body, with allowlisted videos embedded."""
    from tribu.media.rich import render_rich

    return str(render_rich(body))


def check_file(file: Any) -> Any:
    """What an uploaded file really is (``tribu.media.validation``), or a ValidationError on ``file``."""
    from tribu.media.validation import check_upload

    try:
        return check_upload(file, kinds=("document", "image"))
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None


def check_cover(file: Any) -> Any:
    from tribu.media.validation import check_upload

    try:
        return check_upload(file, kinds=("image",))
    except ValidationError as error:
        raise ValidationError({"cover": error.messages}) from None


def _clean_name(name: str, extension: str) -> str:
    stem = os.path.splitext(os.path.basename(name or ""))[0]
    stem = slugify(stem)[:80] or "file"
    return f"{stem}{extension}"


def _validate(values: dict[str, Any], group: Any, *, has_file: bool) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    kind = values.get("kind") or ResourceKind.DOCUMENT
    if kind not in ResourceKind.values:
        errors.setdefault("kind", []).append(_("Choose a kind of resource."))
    title = " ".join(str(values.get("title") or "").split())
    if not title:
        errors.setdefault("title", []).append(_("Give the resource a title."))
    elif len(title) > MAX_TITLE:
        errors.setdefault("title", []).append(
            _("The title is too long: %(max)d characters at most.") % {"max": MAX_TITLE})
    summary = " ".join(str(values.get("summary") or "").split())
    if len(summary) > MAX_SUMMARY:
        errors.setdefault("summary", []).append(
            _("The summary is too long: %(max)d characters at most.") % {"max": MAX_SUMMARY})
    body = str(values.get("body") or "").replace("\x00", "")
    if len(body) > MAX_BODY:
        errors.setdefault("body", []).append(
            _("The description is too long: %(max)s characters at most.") % {"max": f"{MAX_BODY:,}"})
    url = str(values.get("url") or "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 1000:
            errors.setdefault("url", []).append(_("Enter a web address starting with https:// or http://."))
    if kind in URL_KINDS and not url:
        errors.setdefault("url", []).append(_("A video, a podcast or a link needs its web address."))
    if kind == ResourceKind.DOCUMENT and not has_file and not url:
        errors.setdefault("file", []).append(_("A document needs a file (or a web address)."))
    if kind == ResourceKind.ARTICLE and not body.strip():
        errors.setdefault("body", []).append(_("An article needs its text."))
    category = values.get("category")
    if category is not None and category.group_id != getattr(group, "pk", None):
        errors.setdefault("category", []).append(_("Choose a category of this library."))
    mode = values.get("restriction_mode") or RestrictionMode.TEASER
    if mode not in RestrictionMode.values:
        errors.setdefault("restriction_mode", []).append(_("Choose what members without the tier see."))
    if errors:
        raise ValidationError(errors)
    return {**values, "kind": kind, "title": title, "summary": summary, "body": body, "url": url,
            "restriction_mode": mode}


def _set_file(resource: Resource, file: Any) -> None:
    checked = check_file(file)
    name = _clean_name(getattr(file, "name", ""), checked.extension)
    resource.file.save(name, file, save=False)
    resource.file_name = name
    resource.file_type = checked.content_type
    resource.file_size = checked.size


def _set_cover(resource: Resource, cover: Any) -> None:
    checked = check_cover(cover)
    resource.cover.save(_clean_name(getattr(cover, "name", ""), checked.extension), cover, save=False)


def _delete_stored(*names: tuple[Any, str]) -> None:
    for field, name in names:
        if name:
            with contextlib.suppress(OSError):  # already gone: nothing to clean
                field.storage.delete(name)


def _reindex(resource: Resource) -> None:
    """Search sees a published resource; an unpublished one leaves the index."""
    if resource.published:
        index_later(resource)
    else:
        remove_later(resource)


def create_resource(
    actor: Any,
    *,
    group: Any = None,
    kind: str = ResourceKind.DOCUMENT,
    title: str,
    summary: str = "",
    body: str = "",
    url: str = "",
    file: Any = None,
    cover: Any = None,
    cover_alt: str = "",
    category: Category | None = None,
    featured: bool = False,
    published: bool = True,
    tiers: Iterable[Any] = (),
    restriction_mode: str = RestrictionMode.TEASER,
) -> Resource:
    if not policies.can_manage_place(actor, group) or (group is not None and group.is_archived):
        raise PermissionDenied(_("You may not add resources here."))
    values = _validate(
        {"kind": kind, "title": title, "summary": summary, "body": body, "url": url, "category": category,
         "restriction_mode": restriction_mode},
        group, has_file=bool(file),
    )
    if file:
        check_file(file)
    if cover:
        check_cover(cover)
    resource = Resource(
        group=group, author=actor if getattr(actor, "is_authenticated", False) else None,
        kind=values["kind"], title=values["title"], summary=values["summary"], body=values["body"],
        body_html=render_body(values["body"]), url=values["url"], category=category,
        cover_alt=" ".join(cover_alt.split())[:200], featured=bool(featured), published=bool(published),
        restriction_mode=values["restriction_mode"],
    )
    stored: list[tuple[Any, str]] = []
    try:
        with transaction.atomic():
            if file:
                _set_file(resource, file)
                stored.append((resource.file, resource.file.name))
            if cover:
                _set_cover(resource, cover)
                stored.append((resource.cover, resource.cover.name))
            resource.save()
            resource.required_tiers.set(list(tiers))
            record(actor, "resource.created", resource, group, title=resource.title, kind=resource.kind)
            if resource.featured:
                record(actor, "resource.featured", resource, group, title=resource.title)
            _reindex(resource)
    except Exception:
        _delete_stored(*stored)
        raise
    return resource


def update_resource(actor: Any, resource: Resource, *, file: Any = None, cover: Any = None,
                    remove_cover: bool = False, tiers: Iterable[Any] | None = None, **changes: Any) -> Resource:
    """Change the fields given in ``changes`` (among ``FIELDS``), the file, the cover or the tiers."""
    if not policies.can_edit(actor, resource):
        raise PermissionDenied(_("You may not edit this resource."))
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    current = {name: getattr(resource, name) for name in FIELDS}
    values = _validate({**current, **changes}, resource.group, has_file=bool(file or resource.file))
    if file:
        check_file(file)
    if cover:
        check_cover(cover)
    old_file, old_cover = resource.file.name, resource.cover.name
    was_featured = resource.featured
    stored: list[tuple[Any, str]] = []
    try:
        with transaction.atomic():
            locked = Resource.objects.select_for_update().get(pk=resource.pk)
            for name in FIELDS:
                setattr(locked, name, values[name])
            locked.featured = bool(locked.featured)
            locked.published = bool(locked.published)
            locked.cover_alt = " ".join(str(locked.cover_alt or "").split())[:200]
            locked.body_html = render_body(locked.body)
            if file:
                _set_file(locked, file)
                stored.append((locked.file, locked.file.name))
            if cover:
                _set_cover(locked, cover)
                stored.append((locked.cover, locked.cover.name))
            elif remove_cover:
                locked.cover = ""
            locked.save()
            if tiers is not None:
                locked.required_tiers.set(list(tiers))
            changed = sorted(n for n in FIELDS if values[n] != current[n])
            record(actor, "resource.updated", locked, locked.group_id, title=locked.title,
                   fields=[str(n) for n in changed] + (["file"] if file else []))
            if locked.featured and not was_featured:
                record(actor, "resource.featured", locked, locked.group_id, title=locked.title)
            _reindex(locked)
    except Exception:
        _delete_stored(*stored)
        raise
    gone = []
    if file and old_file:
        gone.append((locked.file, old_file))
    if (cover or remove_cover) and old_cover:
        gone.append((locked.cover, old_cover))
    transaction.on_commit(lambda: _delete_stored(*gone))
    return locked


def set_featured(actor: Any, resource: Resource, featured: bool) -> Resource:
    if not policies.can_feature(actor, resource):
        raise PermissionDenied(_("You may not feature this resource."))
    with transaction.atomic():
        changed = Resource.objects.filter(pk=resource.pk).exclude(featured=featured).update(featured=featured)
        resource.featured = featured
        if changed and featured:
            record(actor, "resource.featured", resource, resource.group_id, title=resource.title)
        elif changed:
            record(actor, "resource.unfeatured", resource, resource.group_id, title=resource.title)
    return resource


def delete_resource(actor: Any, resource: Resource) -> None:
    if not policies.can_delete(actor, resource):
        raise PermissionDenied(_("You may not delete this resource."))
    files = [(resource.file, resource.file.name), (resource.cover, resource.cover.name)]
    with transaction.atomic():
        remove_later(resource)
        record(actor, "resource.deleted", None, resource.group_id, title=resource.title, resource_id=resource.pk)
        resource.delete()
        transaction.on_commit(lambda: _delete_stored(*files))


def record_download(user: Any, resource: Resource) -> None:
    """One more download, counted in the database (``F()``: concurrent downloads all count)."""
    if not policies.can_open(user, resource) or not resource.file:
        raise PermissionDenied(_("You may not download this file."))
    with transaction.atomic():
        Resource.objects.filter(pk=resource.pk).update(download_count=F("download_count") + 1)
        record(user, "resource.downloaded", resource, resource.group_id, title=resource.title)


def discussion_body(resource: Resource) -> str:
    from django.urls import reverse

    lines = [_("Let's discuss the resource [%(title)s](%(url)s).") % {
        "title": resource.title.replace("[", "(").replace("]", ")"),
        "url": reverse("library:detail", args=[resource.pk]),
    }]
    if resource.summary:
        lines += ["", resource.summary]
    return "\n".join(lines)


def open_discussion(actor: Any, resource: Resource) -> Any:
    """The resource's discussion post: the existing one, or a new one posted by ``actor`` in the
    resource's group (the community feed for the community library)."""
    from tribu.feed.actions import create_post
    from tribu.feed.models import Post

    if not policies.can_discuss(actor, resource):
        raise PermissionDenied(_("You may not start a discussion about this resource."))
    with transaction.atomic():
        locked = Resource.objects.select_for_update(of=("self",)).select_related("group").get(pk=resource.pk)
        if locked.discussion_id:
            post = Post.objects.filter(pk=locked.discussion_id, deleted_at__isnull=True).first()
            if post is not None:
                return post
        post = create_post(actor, locked.group, discussion_body(locked), title=locked.title[:200])
        Resource.objects.filter(pk=locked.pk).update(discussion=post)
        resource.discussion = post
        record(actor, "resource.discussed", locked, locked.group_id, title=locked.title, post_id=post.pk)
    return post


# --- categories -------------------------------------------------------------------------------------


def _unique_slug(base: str, exclude_pk: int | None = None) -> str:
    root = slugify(base)[:120] or "category"
    slug, n = root, 2
    while Category.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        slug, n = f"{root}-{n}", n + 1
    return slug


def _validate_category(values: dict[str, Any], group: Any, pk: int | None = None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name_fr = " ".join(str(values.get("name_fr") or "").split())
    name_en = " ".join(str(values.get("name_en") or "").split())
    if not name_fr and not name_en:
        errors.setdefault("name_fr", []).append(_("Give the category a name."))
    if len(name_fr) > 120 or len(name_en) > 120:
        errors.setdefault("name_fr", []).append(_("The name is too long: 120 characters at most."))
    parent = values.get("parent")
    if parent is not None:
        if parent.group_id != getattr(group, "pk", None):
            errors.setdefault("parent", []).append(_("Choose a parent category of this library."))
        elif parent.parent_id is not None:
            errors.setdefault("parent", []).append(_("A subcategory cannot have subcategories."))
        elif pk is not None and parent.pk == pk:
            errors.setdefault("parent", []).append(_("A category cannot be its own parent."))
        elif pk is not None and Category.objects.filter(parent_id=pk).exists():
            errors.setdefault("parent", []).append(_("This category has subcategories: it stays at the top."))
    if errors:
        raise ValidationError(errors)
    return {**values, "name_fr": name_fr or name_en, "name_en": name_en}


def create_category(actor: Any, *, group: Any = None, name_fr: str, name_en: str = "", description_fr: str = "",
                    description_en: str = "", parent: Category | None = None, position: int = 0) -> Category:
    if not policies.can_manage_place(actor, group):
        raise PermissionDenied(_("You may not add categories here."))
    values = _validate_category({"name_fr": name_fr, "name_en": name_en, "parent": parent}, group)
    with transaction.atomic():
        category = Category.objects.create(
            group=group, parent=parent, name_fr=values["name_fr"], name_en=values["name_en"],
            description_fr=description_fr[:5000], description_en=description_en[:5000], position=max(0, position),
            slug=_unique_slug(values["name_en"] or values["name_fr"]),
        )
        record(actor, "resource_category.created", category, group, name=category.name_fr)
    return category


def update_category(actor: Any, category: Category, **changes: Any) -> Category:
    if not policies.can_edit_category(actor, category):
        raise PermissionDenied(_("You may not edit this category."))
    allowed = {"name_fr", "name_en", "description_fr", "description_en", "parent", "position"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    current = {name: getattr(category, name) for name in allowed}
    values = _validate_category({**current, **changes}, category.group, category.pk)
    with transaction.atomic():
        for name in allowed:
            setattr(category, name, values[name])
        category.description_fr = str(category.description_fr)[:5000]
        category.description_en = str(category.description_en)[:5000]
        category.position = max(0, int(category.position or 0))
        category.save()
        record(actor, "resource_category.updated", category, category.group_id, name=category.name_fr)
    return category


def delete_category(actor: Any, category: Category) -> None:
    """Delete a category and its subcategories; their resources stay, without a category."""
    if not policies.can_edit_category(actor, category):
        raise PermissionDenied(_("You may not delete this category."))
    with transaction.atomic():
        record(actor, "resource_category.deleted", None, category.group_id, name=category.name_fr)
        ids = [category.pk, *Category.objects.filter(parent=category).values_list("pk", flat=True)]
        affected = list(Resource.objects.filter(category_id__in=ids).values_list("pk", flat=True))
        Resource.objects.filter(pk__in=affected).update(category=None)
        category.delete()
        for pk in affected[:1000]:
            index_later(Resource(pk=pk))
