"""`tribu demo`: a realistic, idempotent demo community whose logins work."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tribu.core import demo

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_it_creates_a_french_community_with_members_in_every_role():
    from allauth.account.models import EmailAddress

    from tribu.accounts.models import User
    from tribu.core.community import get_community
    from tribu.core.models import Activity

    run_demo()

    community = get_community()
    assert community.name == "Réseau des Artisans de Bretagne"
    assert community.default_language == "fr"
    assert community.charter.startswith("# Charte")
    counts = {
        role: User.objects.filter(role=role).count()
        for role in ["admin", "staff", "animator", "member", "guest"]
    }
    assert counts == {"admin": 1, "staff": 2, "animator": 6, "member": 185, "guest": 6}
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == 200
    assert Activity.objects.filter(verb="member.joined").count() == 200
    admin = User.objects.get(email="admin@demo.tribu.local")
    assert admin.is_superuser and admin.is_staff
    assert not User.objects.get(email="membre@demo.tribu.local").is_staff


def test_its_history_is_spread_over_past_months():
    from django.utils import timezone

    from tribu.core.models import Activity

    run_demo()

    joins = Activity.objects.filter(verb="member.joined")
    months = {a.created_at.strftime("%Y-%m") for a in joins}
    assert len(months) >= 10
    assert all(a.created_at <= timezone.now() for a in joins)


def test_running_it_twice_creates_nothing_new():
    from allauth.account.models import EmailAddress

    from tribu.accounts.models import User
    from tribu.core.models import Activity

    run_demo()
    before = (User.objects.count(), EmailAddress.objects.count(), Activity.objects.count())
    run_demo()
    assert (User.objects.count(), EmailAddress.objects.count(), Activity.objects.count()) == before


def test_it_tells_how_to_log_in_in_each_role():
    output = run_demo()

    for login in demo.DEMO_LOGINS.values():
        assert login in output
    assert demo.DEMO_PASSWORD in output


def test_a_demo_member_can_log_in_and_sees_the_community(client):
    run_demo()

    response = client.post(
        "/accounts/login/", {"login": demo.DEMO_LOGINS["member"], "password": demo.DEMO_PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert response.context["user"].email == demo.DEMO_LOGINS["member"]
    assert "Réseau des Artisans de Bretagne" in response.content.decode()
