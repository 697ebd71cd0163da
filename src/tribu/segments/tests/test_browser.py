"""The segment builder in a real browser, on a phone: the count follows each change (HTMX, no inline
script), the rules fit 375 px, and the saved segment lists its members."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from tests.browser import log_in, phone_page

from .conftest import make_membership, make_tier

SHOTS = os.environ.get("TRIBU_SEGMENTS_SHOTS", "")


def settled(page) -> None:
    """Wait until htmx has finished swapping and wiring new content (it marks it .htmx-added meanwhile)."""
    expect(page.locator(".htmx-added, .htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_build_a_segment_on_a_phone_and_watch_the_count(live_server):
    from conftest import make_user
    from tribu.segments.models import Segment

    make_user("bob@example.org", "staff", "Bob Staff")
    membre = make_tier("membre", name_fr="Membre", name_en="Member")
    for i, role in enumerate(["member", "member", "guest"]):
        user = make_user(f"m{i}@example.org", role, f"Personne {i}")
        make_membership(tier=membre, user=user)
    make_user("other@example.org", "guest", "Sans adhésion")

    with phone_page() as (page, console):
        log_in(page, live_server.url, "bob@example.org")
        page.goto(f"{live_server.url}/manage/segments/new/")
        count = page.locator("#segment-count")
        count.get_by_text("membres correspondent").wait_for()  # no rule: everyone (5 with Bob)
        assert "5" in count.inner_text()
        assert page.locator("button[name=refresh][data-nojs]").is_hidden()

        page.select_option("#rule-0-field", "tier")  # HTMX brings the tier's conditions and values
        page.locator("#rule-0-value").wait_for()
        settled(page)
        page.select_option("#rule-0-value", [str(membre.pk)])
        expect(count).to_contain_text(re.compile(r"3\s+membres correspondent"))

        page.click("text=Ajouter une règle")
        page.locator("#rule-1-field").wait_for()
        settled(page)  # htmx wires the new selects once the swap has settled
        page.select_option("#rule-1-field", "role")
        page.locator("#rule-1-value").wait_for()
        settled(page)
        page.select_option("#rule-1-value", ["guest"])
        expect(count).to_contain_text(re.compile(r"1\s+membre correspond"))
        assert "Personne 2" in count.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/builder.png", full_page=True)

        page.fill("#id_name", "Invités adhérents")
        with page.expect_navigation():
            page.click("text=Enregistrer le segment")
        segment = Segment.objects.get(name="Invités adhérents")
        assert page.url.endswith(f"/manage/segments/{segment.pk}/")
        assert "m2@example.org" in page.inner_text("main") and "m0@example.org" not in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/detail.png", full_page=True)

        page.goto(f"{live_server.url}/manage/segments/")
        assert "Invités adhérents" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/index.png", full_page=True)
        assert [m for m in console if "Content Security Policy" in m or "Refused" in m] == []
