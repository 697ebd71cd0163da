"""The logged-in home page runs a fixed number of SQL queries, however big the community."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tribu.core import demo

pytestmark = pytest.mark.django_db

# the user, the latest activities with their actors, the unread notification count
# (the session comes from the cache once warm: cached_db sessions).
HOME_QUERIES = 3


@pytest.fixture
def demo_member(client):
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from tribu.accounts.models import User

    member = User.objects.get(email=demo.DEMO_LOGINS["member"])
    client.force_login(member)
    client.get("/")  # warm the caches every page shares (community row, content types)
    return member


def test_the_home_page_of_a_member_runs_a_fixed_number_of_queries(client, demo_member, django_assert_num_queries):
    with django_assert_num_queries(HOME_QUERIES):
        response = client.get("/")

    assert response.status_code == 200
    assert len(response.context["recent"]) == 10


def test_more_history_does_not_add_queries(client, demo_member, django_assert_num_queries):
    from tribu.accounts.models import User
    from tribu.core.activity import record

    for user in User.objects.all()[:30]:
        record(user, "account.updated", user)

    with django_assert_num_queries(HOME_QUERIES):
        client.get("/")
