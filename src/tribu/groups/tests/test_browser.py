"""The journey of the issue in a real browser, on a phone: a member asks to join a moderated group
answering its question; the animator approves from the notification; the member sees the welcome
post that mentions them. Pages fit 375 px and nothing breaks the Content-Security-Policy."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, log_in, phone_page

from .conftest import make_group


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_asks_to_join_the_animator_approves_from_the_notification_and_the_member_is_welcomed(live_server):
    from conftest import make_user
    from tribu.groups.models import GroupMembership, GroupType

    shots = ARTIFACTS / "groups"
    shots.mkdir(parents=True, exist_ok=True)
    anna = make_user("anna@example.org", "member", "Anna Animatrice")
    mia = make_user("mia@example.org", "member", "Mia Membre")
    commission = GroupType.objects.create(name_fr="Commission", name_en="Committee", icon="gavel", colour="#8a3d00")
    network = make_group("Réseau des makers", owner=anna, type=commission)
    group = make_group("Commission numérique et transition écologique des territoires", visibility="moderated",
                       owner=anna, parent=network, type=commission,
                       questions=["Qu'aimeriez-vous apporter à la commission ?"],
                       welcome="Bienvenue {member} ! Présentez-vous en quelques mots.")
    with phone_page() as (page, console):
        log_in(page, live_server.url, mia.email)
        page.goto(f"{live_server.url}/groups/")
        _fits(page)
        page.screenshot(path=str(shots / "directory.png"), full_page=True)
        with page.expect_navigation():
            page.click(f"a[href='/groups/{group.slug}/']")
        assert "Réseau des makers" in page.inner_text(".breadcrumbs")
        _fits(page)
        with page.expect_navigation():
            page.click(f"a[href='/groups/{group.slug}/join/']")
        page.fill("textarea[name=answer_0]", "Mon expérience du logiciel libre")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert JoinRequestCount.pending(group) == 1
        page.screenshot(path=str(shots / "requested.png"), full_page=True)

        page.context.clear_cookies()
        log_in(page, live_server.url, anna.email)
        page.goto(f"{live_server.url}/notifications/")
        _fits(page)
        with page.expect_navigation():
            page.click(".notification-list button")
        assert f"/groups/{group.slug}/requests/" in page.url
        assert "Mon expérience du logiciel libre" in page.inner_text("main")
        _fits(page)
        page.screenshot(path=str(shots / "requests.png"), full_page=True)
        page.fill("textarea[name=message]", "Ravie de vous compter parmi nous")
        with page.expect_navigation():
            page.click("button[value=approve]")
        assert GroupMembership.objects.filter(group=group, user=mia).exists()

        page.context.clear_cookies()
        log_in(page, live_server.url, mia.email)
        page.goto(f"{live_server.url}/groups/{group.slug}/")
        welcome = page.locator(".feed-welcome").first
        assert "Bienvenue" in welcome.inner_text()
        mention = welcome.locator(f"a[href='/profile/{mia.pk}/']")
        assert mention.inner_text() == "@Mia Membre"
        _fits(page)
        page.screenshot(path=str(shots / "welcomed.png"), full_page=True)
    assert [m for m in console if "Content Security Policy" in m or "Refused" in m] == []


class JoinRequestCount:
    @staticmethod
    def pending(group) -> int:
        from tribu.groups.models import JoinRequest

        return JoinRequest.objects.filter(group=group, status="pending").count()
