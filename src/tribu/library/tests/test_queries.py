"""Pages run a fixed number of queries whatever the number of resources (pinned)."""

from __future__ import annotations

import pytest

from .conftest import add_to, make_category, make_group, make_membership, make_resource, make_tier

pytestmark = pytest.mark.django_db


def _fill(n: int, *, group=None, category=None, tier=None):
    for i in range(n):
        make_resource(f"Ressource {i}", group=group, category=category, file=i % 2 == 0,
                      featured=i % 5 == 0, tiers=[tier] if tier and i % 3 == 0 else ())


@pytest.mark.parametrize("size", [5, 30])
def test_the_index_runs_the_same_queries_at_5_and_30_resources(client, mia, anna, size, django_assert_num_queries):
    gold = make_tier("gold")
    make_membership(tier=gold, user=mia)
    club = make_group("Club", owner=anna)
    add_to(club, mia)
    cat = make_category("Guides")
    make_category("Juridique", parent=cat)
    _fill(size, category=cat, tier=gold)
    _fill(size, group=club)
    client.force_login(mia)
    client.get("/library/")  # warm the session and caches like a second visit
    with django_assert_num_queries(INDEX_QUERIES):
        response = client.get("/library/")
    assert response.status_code == 200


@pytest.mark.parametrize("size", [5, 30])
def test_a_category_page_runs_the_same_queries_at_5_and_30_resources(client, mia, size, django_assert_num_queries):
    cat = make_category("Guides")
    sub = make_category("Juridique", parent=cat)
    _fill(size, category=sub, tier=make_tier("gold"))
    client.force_login(mia)
    client.get(f"/library/categories/{cat.slug}/")
    with django_assert_num_queries(CATEGORY_QUERIES):
        response = client.get(f"/library/categories/{cat.slug}/")
    assert "Ressource 1" in response.content.decode()


@pytest.mark.parametrize("size", [5, 30])
def test_a_group_library_runs_the_same_queries_at_5_and_30_resources(client, mia, anna, size,
                                                                     django_assert_num_queries):
    club = make_group("Club", owner=anna)
    add_to(club, mia)
    _fill(size, group=club, category=make_category("Club", group=club))
    client.force_login(mia)
    client.get(f"/library/groups/{club.slug}/")
    with django_assert_num_queries(GROUP_QUERIES):
        response = client.get(f"/library/groups/{club.slug}/")
    assert response.status_code == 200


@pytest.mark.parametrize("size", [5, 30])
def test_the_api_list_runs_the_same_queries_at_5_and_30_resources(client, mia, size, django_assert_num_queries):
    _fill(size, tier=make_tier("gold"))
    client.force_login(mia)
    client.get("/api/v1/resources")
    with django_assert_num_queries(API_QUERIES):
        response = client.get("/api/v1/resources")
    assert response.json()["count"] == size


# session user, group memberships, tiers, then the page's own reads; the last one is the shell's
# unread-notifications badge.
INDEX_QUERIES = 12
CATEGORY_QUERIES = 9
GROUP_QUERIES = 11
API_QUERIES = 6
