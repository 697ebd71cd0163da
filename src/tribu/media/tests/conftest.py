"""Media tests hang files on groups (a real owner with real rules: public and private groups,
animators edit, members see) registered for the test only."""

from __future__ import annotations

import pytest

from tribu.groups.tests.conftest import add_to, make_group
from tribu.media import owners


@pytest.fixture
def group_owner(db):
    from tribu.groups import policies
    from tribu.groups.models import Group

    owners.register(
        Group,
        can_view=policies.can_view,
        can_edit=policies.can_moderate,
        url=lambda group: f"/groups/{group.slug}/",
    )
    yield Group
    owners.unregister(Group)


@pytest.fixture
def oscar(db):
    """Oscar is a member who belongs to no group."""
    from conftest import make_user

    return make_user("oscar@example.org", "member", "Oscar Outsider")


@pytest.fixture
def club(group_owner, anna):
    return make_group("Club photo", owner=anna)


@pytest.fixture
def secret(group_owner, anna, mia):
    group = make_group("Comité secret", visibility="private", owner=anna)
    add_to(group, mia)
    return group
