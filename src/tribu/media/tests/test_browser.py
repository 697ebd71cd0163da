"""In a real browser on a phone, under the real Content-Security-Policy: the XSS corpus fires no dialog
(rendered on a page and through the editor's live preview), the gallery and the editor fit 375 px, the
toolbar and shortcuts write Markdown, and @mention suggestions work with the keyboard."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, log_in, phone_page

from . import samples
from .xss import PAYLOADS


def _fits(page) -> None:
    """Nothing in the page's main area is wider than the phone (the shared bottom navigation is not ours)."""
    wide = page.evaluate(
        "Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > 376)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 60))"
    )
    texts = page.evaluate(
        "(() => { const out = []; const walk = document.createTreeWalker(document.querySelector('main'), 4);"
        " while (walk.nextNode()) { const r = document.createRange(); r.selectNodeContents(walk.currentNode);"
        " const parent = walk.currentNode.parentElement;"
        " if (r.getBoundingClientRect().right > 376 && !parent.closest('.sr-only')) out.push(parent.tagName + ' '"
        " + walk.currentNode.textContent.slice(0, 50)); } return out.slice(0, 5); })()"
    )
    assert wide == [] and texts == []
    assert page.evaluate("document.querySelector('main').scrollWidth") <= 375


def _local_only(page, base_url: str) -> None:
    """No request leaves the machine (embedded players point at video sites)."""
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base_url)
               else route.abort())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_payloads_stay_inert_and_the_gallery_and_editor_work_on_a_phone(live_server, settings, group_owner):
    from conftest import make_user
    from tribu.media import actions

    from .conftest import make_group

    settings.ROOT_URLCONF = "tribu.media.tests.showcase"
    shots = ARTIFACTS / "media"
    shots.mkdir(parents=True, exist_ok=True)
    anna = make_user("anna@example.org", "member", "Anna Animatrice")
    make_user("mia@example.org", "member", "Mia Membre")
    group = make_group("Club photo", owner=anna)
    actions.attach(group, [samples.png(1200, 800, name="lac.png", colour="steelblue"),
                           samples.png(800, 800, name="sommet.png", colour="seagreen"),
                           samples.jpeg_with_gps("pique-nique.jpg"),
                           samples.pdf("Compte rendu de la sortie au lac d'Annecy.pdf"), samples.docx("Budget.docx")],
                   actor=anna, alts=["Le lac au matin", "Le sommet", ""])

    with phone_page() as (page, console):
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        _local_only(page, live_server.url)
        log_in(page, live_server.url, anna.email)
        page.goto(f"{live_server.url}/media-test/showcase/")
        page.wait_for_load_state("networkidle")
        assert dialogs == []
        assert page.locator("#payloads script").count() == 0
        # The gallery: thumbnails with their descriptions, documents with their size.
        assert page.locator("#gallery img").count() == 3
        assert page.locator("#gallery img[alt='Le lac au matin']").count() == 1
        assert page.evaluate("Array.from(document.querySelectorAll('#gallery img')).every(i => i.naturalWidth > 0)")
        assert "Budget.docx" in page.inner_text("#gallery")
        _fits(page)
        page.locator("#gallery").screenshot(path=str(shots / "gallery-phone.png"))

        # The editor: toolbar, shortcut, live preview.
        box = page.locator("#editor textarea")
        box.fill("Bonjour")
        box.select_text()
        page.click("#editor [data-md-action=bold]")
        assert box.input_value() == "**Bonjour**"
        box.press("End")
        box.press("Enter")
        box.type("penser à ")
        box.press("Control+i")
        assert box.input_value().endswith("penser à *…*")
        page.click("#editor [data-md-preview-toggle]")
        page.wait_for_selector("#editor [data-md-preview] strong")
        assert page.inner_text("#editor [data-md-preview] strong") == "Bonjour"
        page.click("#editor [data-md-preview-toggle]")

        # Mentions: type @Mi, choose with the arrow keys and Enter; names are text, never HTML.
        box.fill("Merci @Mi")
        box.press("End")
        page.wait_for_selector("#editor [role=option]")
        assert page.locator("#editor [role=option]").count() == 2
        assert page.locator("#editor [role=option] b").count() == 0
        assert box.get_attribute("aria-expanded") == "true"
        area = page.locator("#editor").bounding_box()
        top = area["y"] + page.evaluate("window.scrollY")
        page.screenshot(path=str(shots / "editor-mentions-phone.png"), full_page=True,
                        clip={"x": 0, "y": top, "width": 375, "height": area["height"] + 120})
        box.press("ArrowDown")
        assert page.locator("#editor [role=option][aria-selected=true]").inner_text().startswith("Michel")
        box.press("ArrowUp")
        box.press("Enter")
        assert box.input_value() == "Merci @[Mia Membre](user:2) "
        assert page.locator("#editor [data-md-suggestions]").is_hidden()

        # Every payload through the live preview (innerHTML of the server's answer): still no dialog.
        box.fill("https://youtu.be/dQw4w9WgXcQ\n\n" + "\n\n".join(PAYLOADS))
        page.click("#editor [data-md-preview-toggle]")
        for _ in range(100):
            if len(page.inner_html("#editor [data-md-preview]")) > 1000:
                break
            page.wait_for_timeout(100)
        assert page.locator("#editor [data-md-preview] iframe").count() == 1
        page.wait_for_timeout(500)
        assert dialogs == []
        assert page.locator("#editor [data-md-preview] script, #editor [data-md-preview] [onerror]").count() == 0
        page.click("#editor [data-md-preview-toggle]")
        box.fill("## Sortie au lac\n\n**Rendez-vous** à 9 h au parking.\n\n> Prévoir de l'eau\n\n"
                 "- chaussures\n- pique-nique")
        page.click("#editor [data-md-preview-toggle]")
        page.wait_for_selector("#editor [data-md-preview] h2")
        _fits(page)
        page.locator("#editor").screenshot(path=str(shots / "editor-preview-phone.png"))

        # The formatting help page, French by default.
        page.goto(f"{live_server.url}/attachments/formatting/")
        assert "Aide à la mise en forme" in page.inner_text("h1")
        _fits(page)
        page.screenshot(path=str(shots / "formatting-help-phone.png"), full_page=True)
        assert dialogs == []
        assert not [line for line in console if "Content Security Policy" in line and "script" in line], console
