"""The profile pages in a real browser, phone-sized, under the Content-Security-Policy: skills are
suggested as one types, the edit page and the profile fit without horizontal scrolling."""

from __future__ import annotations

import pytest

from tests.browser import log_in, phone_page

from .factories import answer, custom_field, profile


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_edits_their_profile_on_a_phone_with_skill_suggestions(live_server):
    from conftest import make_user

    other = make_user("yann@example.org", "member", "Yann Le Gall")
    profile(other, skills=["Ébénisterie", "Céramique"])
    field = custom_field(key="departement", kind="single_choice", label_fr="Département", choices=[
        {"value": "29", "label_fr": "Finistère", "label_en": ""},
        {"value": "56", "label_fr": "Morbihan", "label_en": ""},
    ])
    answer(other, field, "29")
    make_user("phone@example.org", "member", "Maximilien-Alexandre de La Tour d'Auvergne-Kerguelen")
    with phone_page() as (page, console):
        log_in(page, live_server.url, "phone@example.org")
        page.goto(f"{live_server.url}/profile/edit/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.fill("input[name=job_title]", "Responsable des partenariats institutionnels et internationaux")
        page.type("input[name=skills]", "Marqueterie, eben", delay=20)
        page.wait_for_selector("#skills-suggestions option", state="attached", timeout=5000)
        options = page.eval_on_selector_all("#skills-suggestions option", "els => els.map(e => e.value)")
        assert options == ["Marqueterie, Ébénisterie"]
        page.fill("input[name=skills]", options[0])
        page.select_option("select[name=cf_departement]", "56")
        page.select_option("select[name=vis_city]", "staff")
        with page.expect_navigation():
            page.click("form.profile-form button[type=submit]")
        assert "Votre fiche est enregistrée." in page.inner_text("main")
        page.goto(f"{live_server.url}/profile/")
        text = page.inner_text("main")
        assert "Ébénisterie" in text and "Marqueterie" in text and "Morbihan" in text
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert [m for m in console if "Content Security Policy" in m] == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_profile_field_admin_pages_fit_a_phone(live_server):
    from conftest import make_user

    make_user("admin@example.org", "admin", "Alice Admin")
    field = custom_field(key="annee", kind="number", label_fr="Année d'installation dans la région", on_signup=True,
                         required=True, directory_filter=True)
    with phone_page() as (page, _console):
        log_in(page, live_server.url, "admin@example.org")
        for path in ("/profile/manage/fields/", "/profile/manage/fields/signup/", "/profile/manage/fields/new/",
                     f"/profile/manage/fields/{field.pk}/"):
            page.goto(f"{live_server.url}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
