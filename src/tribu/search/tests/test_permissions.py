"""Permission matrix: who finds what, in the results and in the counts per kind and per group.

Roles: alice (admin), anna (owner of every group), mia (member of the public club, holds the Premium
tier), gina (guest), oscar (member of no group, no tier). Places: community feed, a public, a
moderated and a private group. Tier-gated resources (teaser and hidden mode) and a hidden member."""

from __future__ import annotations

import pytest
from django.utils import timezone

from .conftest import find, make_comment, make_event, make_post

pytestmark = pytest.mark.django_db

PLACES = ["community", "public", "moderated", "private"]
# Whether each role reads posts in each place.
READS = {
    "alice": {"community", "public", "moderated", "private"},
    "anna": {"community", "public", "moderated", "private"},
    "mia": {"community", "public"},
    "oscar": {"community", "public"},
    "gina": {"community"},  # the groups are not open to guests
}


@pytest.fixture
def world(alice, anna, mia, gina, oscar, places):
    from tribu.directory.index import refresh as refresh_directory
    from tribu.memberships.tests.conftest import make_membership, make_tier

    premium = make_tier("premium-s", name_fr="Premium")
    make_membership(user=mia, tier=premium)
    for place in PLACES:
        group = places.get(place)
        post = make_post(anna, f"Compte rendu zephyr {place}", title=f"Zephyr {place}", group=group)
        make_comment(post, anna, f"Commentaire zephyr {place}")
    # Tier-gated resources: holders of the tier find the full text; in teaser mode the others find the
    # title and summary; in hidden mode nothing.
    from tribu.library.models import Resource
    from tribu.search.indexing import refresh

    for mode in ("teaser", "hidden"):
        resource = Resource.objects.create(title=f"Guide zephyr {mode}", summary="Un aperçu du guide",
                                           body="Le secret du guide: orchidée", restriction_mode=mode, author=anna)
        resource.required_tiers.set([premium])
        refresh("resource", [resource.pk])
    Resource.objects.create(title="Brouillon zephyr", body="orchidée", published=False)
    refresh("resource", Resource.objects.values_list("pk", flat=True))
    from tribu.groups.models import Group

    Group.objects.update(summary="Un groupe zephyr", updated_at=timezone.now())
    make_event(title="Soirée zephyr", organiser=anna)
    make_event(title="Brouillon zephyr", organiser=anna, status="draft")
    make_event(title="Atelier zephyr du comité", organiser=anna, group=places["private"])
    from tribu.search.indexing import sweep

    sweep()
    # Members: "Zephyrine" is listed, "Zephyr Caché" hid themself from the directory.
    from conftest import make_user

    shown = make_user("z1@example.org", "member", "Zephyrine Visible")
    hidden = make_user("z2@example.org", "member", "Zephyr Caché")
    from tribu.accounts.models import Profile

    Profile.objects.update_or_create(user=hidden, defaults={"hidden_from_directory": True})
    Profile.objects.get_or_create(user=shown)
    refresh_directory([shown.pk, hidden.pk])
    return {"alice": alice, "anna": anna, "mia": mia, "gina": gina, "oscar": oscar}


def expected(role: str) -> dict[str, int]:
    reads = READS[role]
    counts = {"post": len(reads), "comment": len(reads)}
    team = role == "alice"
    # Resources: the team and Mia (Premium) read both guides; others see the teaser one only.
    counts["resource"] = 2 if role in {"alice", "mia"} else 1
    # Events: drafts for nobody in search; the private committee's workshop for its insiders.
    counts["event"] = 2 if role in {"alice", "anna"} else 1
    # Groups: the private one for insiders; guests see none (not open to guests).
    counts["group"] = {"alice": 3, "anna": 3, "mia": 2, "oscar": 2, "gina": 0}[role]
    counts["member"] = 2 if team else 1
    return {k: v for k, v in counts.items() if v}


@pytest.mark.parametrize("role", list(READS))
def test_results_and_counts_hold_only_what_the_role_may_see(world, role):
    user = world[role]
    results = find(user, "zephyr")
    assert results.counts == expected(role)
    post_titles = {str(h.title) for h in find(user, "zephyr", kind="post").hits}
    assert post_titles == {f"<mark>Zephyr</mark> {p}" for p in READS[role]}
    # Counts per group never name a group the role may not read.
    from tribu.groups.queries import readable_groups

    readable = set(readable_groups(user).values_list("pk", flat=True))
    assert {g["id"] for g in results.groups} <= readable


@pytest.mark.parametrize("role", list(READS))
def test_gated_words_only_match_for_holders_of_the_tier(world, role):
    results = find(world[role], "orchidee")
    assert results.counts == ({"resource": 2} if role in {"alice", "mia"} else {})
    teaser = [h for h in find(world[role], "guide", kind="resource").hits if h.teaser]
    assert len(teaser) == (0 if role in {"alice", "mia"} else 1)


@pytest.mark.parametrize("role", list(READS))
def test_hidden_members_are_found_by_the_team_only(world, role):
    names = {str(h.title) for h in find(world[role], "zephyr", kind="member").hits}
    hidden = "<mark>Zephyr</mark> Caché"
    assert (hidden in names) == (role == "alice")
    assert "<mark>Zephyrine</mark> Visible" in names


def test_a_filter_on_a_private_group_tells_outsiders_nothing(world, places):
    secret = places["private"]
    assert find(world["oscar"], "zephyr", group=secret.pk).counts == {}
    assert find(world["anna"], "zephyr", group=secret.pk).counts == {"post": 1, "comment": 1, "event": 1}


def test_directory_reserved_to_a_tier_keeps_members_out_of_search(world):
    from tribu.memberships.models import AreaRestriction, Tier

    area = AreaRestriction.objects.create(area="directory", restriction_mode="hidden")
    area.required_tiers.set(Tier.objects.all())
    from tribu.memberships.access import forget_area_rules

    forget_area_rules()
    assert "member" not in find(world["oscar"], "zephyr").counts
    assert find(world["mia"], "zephyr").counts["member"] == 1
