"""Thin views: serve a file to whoever may see its owner, the editor's live preview, the formatting help."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from . import conf, owners
from .models import Attachment, LinkPreview
from .rich import render_rich

INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
# A served file can never run anything, even if a browser were to render it as a page.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def visible_attachment(request: HttpRequest, pk: int) -> Attachment:
    """The attachment, when the requester may see its owner; 404 otherwise (private owners stay unknown)."""
    attachment = get_object_or_404(Attachment.objects.select_related("owner_type"), pk=pk)
    owner = attachment.owner
    if owner is None or not owners.can_view(request.user, owner):
        raise Http404
    return attachment


def _file_response(field: Any, *, content_type: str, filename: str, inline: bool) -> FileResponse:
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=not inline, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_GET
def download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = visible_attachment(request, pk)
    inline = attachment.content_type in INLINE_TYPES and request.GET.get("download") != "1"
    return _file_response(
        attachment.file, content_type=attachment.content_type, filename=attachment.original_name, inline=inline
    )


@require_GET
def thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    attachment = visible_attachment(request, pk)
    if not attachment.thumbnail:
        raise Http404
    stem = attachment.original_name.rsplit(".", 1)[0]
    return _file_response(attachment.thumbnail, content_type="image/jpeg", filename=f"{stem}.jpg", inline=True)


@require_GET
def link_image(request: HttpRequest, pk: int) -> FileResponse:
    """A link card's picture (from a public page, re-encoded here): anyone who sees the card may load it."""
    card = get_object_or_404(LinkPreview, pk=pk)
    if not card.image:
        raise Http404
    return _file_response(card.image, content_type="image/jpeg", filename="card.jpg", inline=True)


@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The editor's live preview: what ``render_rich`` makes of ``text`` (an HTML fragment)."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    text = request.POST.get("text", "")
    if len(text) > conf.preview_max_chars():
        message = _("This text is too long to preview: %(max)s characters at most.") % {
            "max": number_format(conf.preview_max_chars(), force_grouping=True)
        }
        return HttpResponse(format_html('<p class="form-error">{}</p>', message), status=413)
    response = HttpResponse(render_rich(text))
    response["Cache-Control"] = "no-store"
    return response


HELP_EXAMPLES = [
    gettext_lazy("**bold** and *italic*"),
    gettext_lazy("## A heading"),
    gettext_lazy("[a link](https://example.org)"),
    gettext_lazy("> a quotation"),
    gettext_lazy("- a list\n- of things"),
    gettext_lazy("1. first\n2. second"),
    gettext_lazy("`code` in a sentence"),
]


class TryForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Your text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Nothing is saved: this box is only for trying."),
    )


@login_required
@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    examples = [{"source": str(source), "html": render_rich(str(source))} for source in HELP_EXAMPLES]
    return render(request, "media/help.html", {"examples": examples, "form": TryForm()})
