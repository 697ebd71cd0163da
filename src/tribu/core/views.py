"""Core pages: home, legal pages, language switch, branding assets (CSS, icons, PWA), errors."""

from __future__ import annotations

import io

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from tribu.accounts import actions as account_actions

from . import queries
from .community import get_community
from .markdown import render_markdown
from .middleware import SUPPORTED


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "core/landing.html")
    from tribu.feed.queries import welcome_blocks_for

    return render(request, "core/home.html", {"recent": queries.recent_activity(10),
                                              "blocks": welcome_blocks_for(request.user)})


LEGAL_PAGES = {
    "charter": ("charter", "Community charter"),
    "privacy": ("privacy_policy", "Privacy policy"),
    "legal-notice": ("legal_notice", "Legal notice"),
}


def legal(request: HttpRequest, page: str) -> HttpResponse:
    if page not in LEGAL_PAGES:
        raise Http404
    field, _title = LEGAL_PAGES[page]
    titles = {"charter": _("Community charter"), "privacy": _("Privacy policy"), "legal-notice": _("Legal notice")}
    body = getattr(get_community(), field)
    return render(
        request, "core/legal.html", {"title": titles[page], "body": render_markdown(body) if body else ""}
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language not in SUPPORTED:
        return HttpResponseBadRequest(_("Unknown language."))
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    if request.user.is_authenticated:
        account_actions.set_language(request.user, language)
    response = redirect(next_url)
    from django.conf import settings

    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@require_GET
@cache_control(max_age=300)
def branding_css(request: HttpRequest) -> HttpResponse:
    community = get_community()
    from .colours import readable_on

    css = (
        ":root{"
        f"--primary:{community.primary_colour};"
        f"--secondary:{community.secondary_colour};"
        f"--on-primary:{readable_on(community.primary_colour)};"
        f"--on-secondary:{readable_on(community.secondary_colour)};"
        "}"
    )
    return HttpResponse(css, content_type="text/css; charset=utf-8")


def _icon_png(size: int) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    community = get_community()
    if community.logo:
        try:
            with community.logo.open("rb") as fh, Image.open(fh) as logo:
                img = logo.convert("RGBA")
                img.thumbnail((size, size))
                canvas = Image.new("RGBA", (size, size), (255, 255, 255, 255))
                canvas.paste(img, ((size - img.width) // 2, (size - img.height) // 2), img)
                out = io.BytesIO()
                canvas.save(out, "PNG")
                return out.getvalue()
        except (OSError, ValueError):
            pass
    img = Image.new("RGB", (size, size), community.primary_colour)
    draw = ImageDraw.Draw(img)
    letter = (community.name or "T")[0].upper()
    try:
        font = ImageFont.load_default(size=int(size * 0.6))
    except TypeError:
        font = ImageFont.load_default()
    draw.text((size / 2, size / 2), letter, fill="white", font=font, anchor="mm")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@require_GET
@cache_control(max_age=3600)
def icon(request: HttpRequest, size: int) -> HttpResponse:
    if size not in (32, 192, 512):
        raise Http404
    return HttpResponse(_icon_png(size), content_type="image/png")


@require_GET
@cache_control(max_age=3600)
def favicon(request: HttpRequest) -> HttpResponse:
    community = get_community()
    if community.favicon:
        return redirect(community.favicon.url)
    return HttpResponse(_icon_png(32), content_type="image/png")


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    community = get_community()
    data = {
        "name": community.name,
        "short_name": community.name[:12],
        "description": community.tagline,
        "lang": request.LANGUAGE_CODE,  # type: ignore[attr-defined]
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": community.primary_colour,
        "icons": [
            {"src": reverse("core:icon", args=[192]), "sizes": "192x192", "type": "image/png"},
            {"src": reverse("core:icon", args=[512]), "sizes": "512x512", "type": "image/png"},
            {
                "src": reverse("core:icon", args=[512]),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data)
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the root so its scope covers the whole site."""
    offline_url = reverse("core:offline")
    assets = [offline_url, static("tribu/app.css"), static("tribu/app.js")]
    body = render(
        request,
        "core/sw.js",
        {"offline_url": offline_url, "assets": assets, "version": int(get_community().updated_at.timestamp())},
        content_type="application/javascript",
    )
    body["Service-Worker-Allowed"] = "/"
    body["Cache-Control"] = "no-cache"
    return body


def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "core/offline.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "status": 403,
            "title": _("This form has expired"),
            "message": _(
                "For your security, the form could not be accepted. Reload the page and try again."
            ),
        },
        status=403,
    )


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "status": 404,
            "title": _("Page not found"),
            "message": _("This page does not exist or is no longer available."),
        },
        status=404,
    )


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"status": 400, "title": _("Bad request"), "message": _("The request could not be understood.")},
        status=400,
    )


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"status": 403, "title": _("Access denied"), "message": _("You do not have access to this page.")},
        status=403,
    )


def error_500(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"status": 500, "title": _("Something went wrong"), "message": _("Please try again in a moment.")},
        status=500,
    )
