"""A page for the browser tests only (mounted by overriding ROOT_URLCONF): the gallery, link cards with
hostile titles, the XSS corpus through render_rich and the editor with mention suggestions, inside the
site's real layout, under the real Content-Security-Policy."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.urls import path

from tribu import urls as site_urls
from tribu.media.forms import AttachmentsField  # noqa: F401 - the form field is importable beside the include
from tribu.media.models import LinkPreview
from tribu.media.queries import attachments_for
from tribu.media.rich import render_rich

from .xss import PAYLOADS

PAGE = """{% extends "core/base.html" %}{% load media_tags %}
{% block title %}Showcase{% endblock %}
{% block content %}
<h1>Sortie au lac</h1>
<section class="card" id="gallery">{% include "media/_gallery.html" with attachments=attachments %}</section>
<section class="card" id="cards">
{% for card in cards %}{% include "media/_link_card.html" with card=card %}{% endfor %}
</section>
<section class="card" id="editor"><form method="post">{% csrf_token %}
{% include "media/_markdown_editor.html" with field=form.body mention_url="/media-test/mentions/" %}
</form></section>
<section class="card" id="payloads">{% for html in payloads %}<div class="rich">{{ html }}</div>{% endfor %}</section>
{% endblock %}
"""


def showcase(request: HttpRequest) -> HttpResponse:
    from django import forms

    from tribu.groups.models import Group

    class Form(forms.Form):
        body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 5}))

    groups = list(Group.objects.all())
    attachments = attachments_for(groups)
    cards = [
        LinkPreview(url="https://example.org/", url_hash=str(i), title=payload, description=payload,
                    site_name="Example", status="ready")
        for i, payload in enumerate(PAYLOADS[:12])
    ]
    context = {
        "attachments": attachments[groups[0].pk] if groups else [],
        "cards": cards,
        "form": Form(),
        "payloads": [render_rich(payload) for payload in PAYLOADS],
    }
    return HttpResponse(engines["django"].from_string(PAGE).render(context, request))


def mentions(request: HttpRequest) -> JsonResponse:
    people = [
        {"id": 2, "name": "Mia Membre", "token": "@[Mia Membre](user:2)", "avatar": ""},
        {"id": 3, "name": "Michel <b>Martin</b>", "token": "@[Michel Martin](user:3)", "avatar": ""},
    ]
    query = request.GET.get("q", "").lower()
    return JsonResponse([p for p in people if p["name"].lower().startswith(query)], safe=False)


urlpatterns = [
    path("media-test/showcase/", showcase),
    path("media-test/mentions/", mentions),
    *site_urls.urlpatterns,
]
