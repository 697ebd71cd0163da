"""The directory in a real browser: no horizontal scroll on a phone, facets apply on a tick under
the Content-Security-Policy."""

from __future__ import annotations

import pytest

from tests.browser import log_in, phone_page

from .conftest import add_member


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_directory_fits_a_phone_and_filters_on_a_tick(live_server):
    from conftest import make_user

    viewer = make_user("phone@example.org", "member", "Paula Phone")
    add_member("Paula Phone", user=viewer, region="Bretagne")
    add_member("Maximilien-Alexandre de La Tour d'Auvergne", job_title="Responsable des partenariats "
               "institutionnels et internationaux", region="Bretagne", city="Saint-Brieuc")
    add_member("Nora Normande", region="Normandie")
    with phone_page() as (page, console):
        log_in(page, live_server.url, "phone@example.org")
        page.goto(f"{live_server.url}/members/")
        assert page.locator("#directory-results .member-card").count() == 3
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.click(".directory-filters summary")
        with page.expect_navigation():
            page.check("input[name=region][value=Normandie]")
        assert "region=Normandie" in page.url
        assert page.locator("#directory-results .member-card").count() == 1
        assert "1" in page.inner_text("[aria-live=polite]")
        assert [m for m in console if "Content Security Policy" in m] == []
