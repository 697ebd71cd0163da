"""Keyword-only factories for the accounts tests."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.text import slugify
from PIL import Image

from tribu.accounts.models import CustomField, CustomFieldValue, Profile, Tag


def custom_field(*, key: str, kind: str = "short_text", label_fr: str = "", label_en: str = "",
                 visibility: str = "members", choices: list[dict[str, str]] | None = None, **extra: Any) -> CustomField:
    return CustomField.objects.create(
        key=key, kind=kind, label_fr=label_fr or key.replace("_", " ").capitalize(), label_en=label_en,
        visibility=visibility, choices=choices or [], **extra,
    )


def answer(user: Any, field: CustomField, value: Any) -> CustomFieldValue:
    return CustomFieldValue.objects.create(user=user, field=field, value=value)


def profile(user: Any, **values: Any) -> Profile:
    skills = values.pop("skills", [])
    interests = values.pop("interests", [])
    obj, _created = Profile.objects.update_or_create(user=user, defaults=values)
    for kind, names, relation in (("skill", skills, obj.skills), ("interest", interests, obj.interests)):
        for name in names:
            tag, _created = Tag.objects.get_or_create(kind=kind, slug=slugify(name), defaults={"name": name})
            relation.add(tag)
    return obj


def image_bytes(size: tuple[int, int] = (400, 300), fmt: str = "PNG", colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def image_upload(name: str = "me.png", **kwargs: Any) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(**kwargs), content_type="image/png")


def pdf_upload(name: str = "cv.pdf") -> SimpleUploadedFile:
    content = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, content, content_type="application/pdf")
