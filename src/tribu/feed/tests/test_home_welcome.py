"""Welcome blocks reach the community's home page (``/``) too, per audience, and a change shows at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import make_user
from tribu.feed import actions
from tribu.groups.tests.conftest import add_to, make_group

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_each_member_the_blocks_of_their_audience(client, alice, anna, mia):
    oscar = make_user("oscar@example.org", "member", "Oscar Outsider")
    club = make_group("Club public", owner=anna)
    add_to(club, mia)
    actions.save_welcome_block(alice, None, title="Bonjour à tous", body="Lisez la **charte**")
    actions.save_welcome_block(alice, None, title="Pour le club", body="Club", audience="group", group=club)
    actions.save_welcome_block(alice, None, title="Nouveaux", body="Bienvenue", audience="new_members",
                               new_member_days=7)
    from tribu.accounts.models import User

    User.objects.filter(pk=oscar.pk).update(date_joined=timezone.now() - timedelta(days=30))
    client.force_login(mia)
    mine = client.get("/").content.decode()
    assert "Bonjour à tous" in mine and "<strong>charte</strong>" in mine
    assert "Pour le club" in mine and "Nouveaux" in mine
    client.force_login(oscar)
    his = client.get("/").content.decode()
    assert "Bonjour à tous" in his and "Pour le club" not in his and "Nouveaux" not in his
    client.logout()
    assert "Bonjour à tous" not in client.get("/").content.decode()


def test_a_changed_or_deleted_block_shows_at_once_although_the_list_is_cached(client, alice, mia):
    block = actions.save_welcome_block(alice, None, title="Assemblée générale", body="Le 12")
    client.force_login(mia)
    assert "Assemblée générale" in client.get("/").content.decode()
    actions.save_welcome_block(alice, block, title="Assemblée reportée", body="Au 19")
    html = client.get("/").content.decode()
    assert "Assemblée reportée" in html and "Assemblée générale" not in html
    actions.save_welcome_block(alice, block, active=False)
    assert "Assemblée reportée" not in client.get("/").content.decode()
    actions.delete_welcome_block(alice, block)
    assert "Assemblée" not in client.get("/").content.decode()
