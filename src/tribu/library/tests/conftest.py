"""Factories for the library (keyword-only), on top of the named users, groups and tiers."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tribu.groups.tests.conftest import add_to, make_group  # noqa: F401
from tribu.memberships.tests.conftest import make_membership, make_tier  # noqa: F401

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def pdf_file(name: str = "guide.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def png_file(name: str = "cover.png") -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), (200, 80, 20)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def make_resource(title: str = "Guide", *, group: Any = None, kind: str = "document", tiers: Any = (),
                  mode: str = "teaser", file: bool = True, published: bool = True, featured: bool = False,
                  category: Any = None, body: str = "Le **corps** du guide.", summary: str = "Un résumé",
                  url: str = "", author: Any = None):
    """A resource written like the action writes it, without the action's permission check."""
    from tribu.library.actions import _set_file, render_body
    from tribu.library.models import Resource

    resource = Resource(title=title, group=group, kind=kind, restriction_mode=mode, published=published,
                        featured=featured, category=category, body=body, body_html=render_body(body),
                        summary=summary, url=url, author=author)
    if file:
        _set_file(resource, pdf_file())
    resource.save()
    if tiers:
        resource.required_tiers.set(list(tiers))
    return resource


def make_category(name: str, *, group: Any = None, parent: Any = None):
    from django.utils.text import slugify

    from tribu.library.models import Category

    return Category.objects.create(name_fr=name, name_en=name, slug=slugify(f"{name}-{group.pk if group else 0}"),
                                   group=group, parent=parent)

