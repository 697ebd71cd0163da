"""Issue 3's journey in a real browser: an admin adds a custom profile field and puts it on the
signup form; a newcomer signs up answering it (email verified over real SMTP); another member finds
them in the directory by that field."""

from __future__ import annotations

from typing import Any

import pytest

from .browser import find_link, log_in, text_body

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Kouign-amann-2026!"


def test_a_field_added_by_the_admin_is_asked_at_signup_and_found_in_the_directory(
    live_server: Any, smtp_server: Any, chromium: Any, alice: Any, mia: Any, artifacts: Any
) -> None:
    from tribu.accounts.models import CustomField, CustomFieldValue, User

    # The suite's one Chromium (a second Playwright cannot start beside it in this process).
    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        # 1. The admin creates a single-choice field, filterable in the directory and asked at signup.
        log_in(page, live_server.url, alice.email)
        page.goto(f"{live_server.url}/profile/manage/fields/new/")
        page.fill("input[name=label_fr]", "Spécialité")
        page.fill("input[name=label_en]", "Speciality")
        page.select_option("select[name=kind]", "single_choice")
        page.fill("textarea[name=choices]", "vitrail | Vitrail | Stained glass\nmosaique | Mosaïque | Mosaic")
        page.check("input[name=on_signup]")
        page.check("input[name=directory_filter]")
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_load_state()
        field = CustomField.objects.get(label_fr="Spécialité")
        assert field.kind == "single_choice" and field.directory_filter

        page.goto(f"{live_server.url}/profile/manage/fields/signup/")
        page.check(f"input[name=on_cf{field.pk}]")
        page.check(f"input[name=req_cf{field.pk}]")
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_load_state()
        page.screenshot(path=artifacts / "members-1-signup-builder.png", full_page=True)
        page.context.clear_cookies()

        # 2. A newcomer signs up: the new question is there, required, and their answer is kept.
        page.goto(f"{live_server.url}/accounts/signup/")
        page.fill("input[name=email]", "nolwenn@example.org")
        page.fill("input[name=display_name]", "Nolwenn Vitrailliste")
        page.fill("input[name=password1]", PASSWORD)
        page.fill("input[name=password2]", PASSWORD)
        page.check("input[name=accept_charter]")
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_load_state()
        assert "/accounts/signup/" in page.url, "a required question left empty must keep the newcomer on the form"
        assert not User.objects.filter(email="nolwenn@example.org").exists()
        page.select_option(f"select[name=cf_{field.key}]", "vitrail")
        page.fill("input[name=password1]", PASSWORD)
        page.fill("input[name=password2]", PASSWORD)
        page.screenshot(path=artifacts / "members-2-signup.png", full_page=True)
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_load_state()
        newcomer = User.objects.get(email="nolwenn@example.org")
        assert CustomFieldValue.objects.get(user=newcomer, field=field).value == "vitrail"

        link = find_link(text_body(smtp_server.received[-1]), "/accounts/confirm-email/")
        page.goto(live_server.url + link[link.index("/accounts/confirm-email/") :])
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_load_state()
        page.context.clear_cookies()

        # 3. Another member filters the directory on the new field and finds the newcomer.
        log_in(page, live_server.url, mia.email)
        page.goto(f"{live_server.url}/members/")
        facet = page.locator(f"input[name=f_{field.key}][value=vitrail]")
        assert facet.count() == 1, "the new field is offered as a directory filter"
        page.goto(f"{live_server.url}/members/?f_{field.key}=vitrail")
        results = page.locator("#directory-results").inner_text()
        page.screenshot(path=artifacts / "members-3-directory.png", full_page=True)
        assert "Nolwenn Vitrailliste" in results
        assert "Mia Membre" not in results
        assert [m for m in console if "Content Security Policy" in m] == []
    finally:
        context.close()
