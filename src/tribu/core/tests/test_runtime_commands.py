"""`tribu createadmin` and friends, as an operator scripts them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from tribu.accounts.models import Role, User

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase"


def test_createadmin_creates_an_administrator_who_can_log_in(client):
    call_command("createadmin", email="Root@Example.org", password=PASSWORD)

    admin = User.objects.get(email="root@example.org")
    assert (admin.role, admin.is_staff, admin.is_superuser) == (Role.ADMIN, True, True)
    assert EmailAddress.objects.get(user=admin).verified
    assert client.login(email="root@example.org", password=PASSWORD)


def test_createadmin_promotes_an_existing_member_and_sets_the_password(mia, client):
    EmailAddress.objects.filter(user=mia).update(verified=False)

    call_command("createadmin", email="mia@example.org", password=PASSWORD)
    call_command("createadmin", email="MIA@example.org", password=PASSWORD)  # again: still one account

    assert User.objects.filter(email="mia@example.org").count() == 1
    mia.refresh_from_db()
    assert mia.role == Role.ADMIN and mia.is_superuser
    assert EmailAddress.objects.get(user=mia, email="mia@example.org").verified
    assert EmailAddress.objects.filter(user=mia).count() == 1
    assert client.login(email="mia@example.org", password=PASSWORD)


def test_createadmin_refuses_a_weak_password_and_creates_nobody():
    with translation.override("en"), pytest.raises(CommandError, match=r"This password cannot be used.*too short"):
        call_command("createadmin", email="root@example.org", password="12345678")
    assert not User.objects.exists()


def test_createadmin_speaks_the_site_language():
    with translation.override("fr"), pytest.raises(CommandError, match="mot de passe"):
        call_command("createadmin", email="root@example.org", password="12345678")


def test_createadmin_refuses_a_bad_address():
    with translation.override("en"), pytest.raises(CommandError, match="not a valid email"):
        call_command("createadmin", email="not-an-address", password=PASSWORD)


@pytest.mark.slow
def test_createadmin_with_bad_input_exits_1_with_a_plain_message(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(TRIBU_DATA_DIR=str(tmp_path), TRIBU_LANGUAGE="en")
    tribu = Path(sys.executable).with_name("tribu")
    done = subprocess.run(
        [str(tribu), "createadmin", "--email", "root@example.org", "--password", "password"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "This password cannot be used" in done.stderr
    assert "too common" in done.stderr
