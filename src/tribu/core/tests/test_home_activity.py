"""The home page's "Latest in the community" lists only what every member may read about: posts,
comments and answers in the community space and in open groups, new members, published events —
never what happens in a private, moderated or tier-reserved group, nor anyone's payments, downloads,
reminders or registrations."""

from __future__ import annotations

import pytest

from conftest import make_user
from tribu.core.activity import record
from tribu.feed import actions as feed
from tribu.feed.discussion import actions as discussion
from tribu.groups.tests.conftest import add_to, make_group, make_tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(anna, mia):
    premium = make_tier("premium")
    groups = {
        "public": make_group("Club ouvert", owner=anna),
        "moderated": make_group("Club modéré", visibility="moderated", owner=anna),
        "private": make_group("Club secret", visibility="private", owner=anna),
        "reserved": make_group("Club premium", owner=anna, tiers=[premium]),
    }
    for group in groups.values():
        add_to(group, mia)
    return groups


def _home_texts(client, user) -> str:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return "\n".join(act.text for act in response.context["recent"])


def test_only_acts_of_open_places_reach_the_home_page(client, alice, anna, mia, places):
    feed.create_post(mia, None, "Bonjour à tous")
    opened = feed.create_post(mia, places["public"], "Dans le club ouvert")
    discussion.create_comment(anna, opened, "Bienvenue")
    for name in ("moderated", "private", "reserved"):
        post = feed.create_post(mia, places[name], f"Dans {name}")
        discussion.create_comment(anna, post, "Réponse discrète")
    record(mia, "payment.started", None, amount="50,00 €", reference="TR-SECRET")
    record(mia, "resource.downloaded", None, title="Guide confidentiel")
    record(None, "renewal.reminded", None)

    oscar = make_user("oscar@example.org", "member", "Oscar Outsider")
    for viewer in (oscar, mia, alice):  # the same list for everyone, members of the closed groups included
        texts = _home_texts(client, viewer)
        assert "Mia Membre posted in the community feed" in texts or "a publié dans le fil de la communauté" in texts
        assert "Club ouvert" in texts
        for hidden in ("Club modéré", "Club secret", "Club premium", "TR-SECRET", "Guide confidentiel",
                       "rappel", "reminder"):
            assert hidden not in texts, (viewer.email, hidden, texts)


def test_an_act_of_a_deleted_group_does_not_resurface_as_a_community_act(client, alice, mia, places):
    from tribu.groups import actions as groups

    feed.create_post(mia, places["private"], "Avant la dissolution")
    groups.delete_group(alice, places["private"])
    assert "Club secret" not in _home_texts(client, mia)
