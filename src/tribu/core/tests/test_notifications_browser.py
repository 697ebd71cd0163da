"""The notification pages on a phone: the centre with a grouped row, the preferences grouped by app
with the digest frequency, and the "stop these" page reached from an email without logging in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import ARTIFACTS, log_in, phone_page

SHOTS = Path(os.environ.get("TRIBU_NOTIFICATIONS_SHOTS", ARTIFACTS / "notifications"))


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_reads_grouped_notifications_sets_a_weekly_digest_and_stops_a_kind(live_server):
    from conftest import make_user
    from tribu.core.models import DigestPreference, NotificationChannel, NotificationPreference
    from tribu.core.notifications import actions
    from tribu.core.notifications.emails import kind_topic, stop_url
    from tribu.core.notifications.kinds import KINDS, NotificationKind, actors_phrase, register

    register(NotificationKind(
        code="tests.reacted", label="Reactions (test)", description="", default_channel=NotificationChannel.IN_APP,
        text=lambda n: f"{actors_phrase(n)} reacted to your post.", group_by=("post_id",),
    ))
    try:
        mia = make_user("mia@example.org", "member", "Mia Membre")
        names = ["Alice Martin", "Bruno Petit", "Chloé Durand", "David Leroy"]
        actors = [make_user(f"a{i}@example.org", "member", name) for i, name in enumerate(names)]
        for actor in actors:
            actions.notify([mia], "tests.reacted", actor=actor, url="/", post_id=1)
        actions.announce(make_user("alice@example.org", "admin", "Alice Admin"), "Assemblée générale vendredi")
        SHOTS.mkdir(parents=True, exist_ok=True)
        with phone_page() as (page, console):
            log_in(page, live_server.url, "mia@example.org")
            page.goto(f"{live_server.url}/notifications/?filter=unread")
            row = page.locator("li.notification-grouped")
            assert "David Leroy et 3 autres" in row.inner_text() or "David Leroy and 3 others" in row.inner_text()
            assert page.locator("li.notification").count() == 2
            _fits(page)
            page.screenshot(path=str(SHOTS / "centre.png"), full_page=True)

            page.goto(f"{live_server.url}/notifications/preferences/")
            page.select_option("#id_digest_frequency", "weekly")
            page.select_option("#id_digest_weekday", "4")
            _fits(page)
            page.screenshot(path=str(SHOTS / "preferences.png"), full_page=True)
            page.click("form.notification-preferences button[type=submit]")
            page.wait_for_load_state()
            assert DigestPreference.objects.get(user=mia).frequency == "weekly"

            page.context.clear_cookies()  # the link works without logging in
            page.goto(stop_url(mia, kind_topic("role_changed")).replace("http://testserver", live_server.url)
                      .replace(_site(), live_server.url))
            _fits(page)
            page.screenshot(path=str(SHOTS / "stop.png"), full_page=True)
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            assert page.locator("[role=status] h1").is_visible()
            page.screenshot(path=str(SHOTS / "stopped.png"), full_page=True)
            assert NotificationPreference.objects.get(user=mia, kind="role_changed").channel == "off"
            assert not [m for m in console if "Content Security Policy" in m]
    finally:
        KINDS.pop("tests.reacted", None)


def _site() -> str:
    from django.conf import settings

    return settings.SITE_URL
