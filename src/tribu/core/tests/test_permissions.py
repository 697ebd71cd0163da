"""The permission matrix: every role against every page that exists, read and write."""

from __future__ import annotations

import pytest
from django.urls import reverse

ROLES = ["anonymous", "guest", "member", "animator", "staff", "admin"]

# page name → the roles that may open it; everyone else is refused (anonymous → login page).
PAGES = {
    "home": set(ROLES),
    "accounts:settings": {"guest", "member", "animator", "staff", "admin"},
    "core:notifications": {"guest", "member", "animator", "staff", "admin"},
    "core:notification_preferences": {"guest", "member", "animator", "staff", "admin"},
    "core:admin_home": {"staff", "admin"},
    "core:members": {"staff", "admin"},
    "core:audit_log": {"staff", "admin"},
    "core:outbox": {"staff", "admin"},
    "core:community_settings": {"admin"},
}


def client_for(client, users_by_role, role):
    if role != "anonymous":
        client.force_login(users_by_role[role])
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_role_reaches_only_its_pages(client, users_by_role, role, page):
    response = client_for(client, users_by_role, role).get(reverse(page))
    if role in PAGES[page]:
        assert response.status_code == 200
    elif role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == 403
        assert "Accès refusé" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_change_community_settings(client, users_by_role, role):
    from tribu.core.community import get_community

    client_for(client, users_by_role, role)
    response = client.post(
        reverse("core:community_settings"),
        {
            "name": "Piratée",
            "primary_colour": "#000000",
            "secondary_colour": "#000000",
            "default_language": "fr",
            "time_zone": "Europe/Paris",
        },
    )
    changed = get_community().name == "Piratée"
    assert changed == (role == "admin")
    if role != "admin":
        assert response.status_code in (302, 403)


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_change_roles(client, users_by_role, role, mia):
    client_for(client, users_by_role, role)
    client.post(reverse("core:change_role", args=[mia.pk]), {"role": "admin"})
    mia.refresh_from_db()
    assert (mia.role == "admin") == (role == "admin")


def test_nobody_changes_their_own_role(client, alice):
    client.force_login(alice)
    client.post(reverse("core:change_role", args=[alice.pk]), {"role": "guest"})
    alice.refresh_from_db()
    assert alice.role == "admin"


def test_an_inactive_account_is_refused_everywhere(client, bob):
    bob.is_active = False
    bob.save()
    client.force_login(bob)
    assert client.get(reverse("core:admin_home")).status_code in (302, 403)
