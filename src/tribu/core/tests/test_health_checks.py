"""`tribu check`: what an operator is told before going live."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tribu.core import checks


def ids(messages) -> set[str]:
    return {m.id for m in messages}


@pytest.fixture
def public_site(settings):
    settings.ALLOWED_HOSTS = ["community.example.org"]
    settings.SITE_URL = "https://community.example.org"
    settings.DEBUG = False


def test_a_local_embedded_site_gets_no_warning(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setattr(checks, "uses_postgresql", lambda: False)  # the embedded default: SQLite
    assert checks.check_debug() == []
    assert checks.check_secret_key() == []
    assert checks.check_hosts() == []
    assert checks.check_redis() == []


def test_debug_on_a_public_site_is_reported(public_site, settings):
    settings.DEBUG = True
    assert ids(checks.check_debug()) == {"tribu.W001"}


def test_a_generated_secret_key_on_a_public_site_is_reported(public_site, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)
    assert ids(checks.check_secret_key()) == {"tribu.W002"}

    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert checks.check_secret_key() == []


@pytest.mark.django_db
def test_a_site_address_outside_allowed_hosts_is_an_error_and_fails_the_check(settings):
    settings.SITE_URL = "https://community.example.org"
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    assert "tribu.E005" in ids(checks.check_hosts())

    with pytest.raises(SystemCheckError, match=r"community\.example\.org"):
        call_command("check")


def test_any_host_is_reported(settings):
    settings.ALLOWED_HOSTS = ["*"]
    assert "tribu.W003" in ids(checks.check_hosts())


def test_emails_only_in_the_outbox_warn_a_public_site(public_site, settings, monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    monkeypatch.delenv("EMAIL_URL_FILE", raising=False)
    [message] = checks.check_email()
    assert message.id == "tribu.W007"
    assert str(settings.OUTBOX_DIR) in message.msg

    monkeypatch.setenv("EMAIL_URL", "smtp://mail.example.org:587?tls=1")
    assert checks.check_email() == []


def test_postgresql_without_redis_is_reported(settings, monkeypatch):
    monkeypatch.setattr(checks, "uses_postgresql", lambda: True)
    settings.REDIS_URL = ""
    assert ids(checks.check_redis()) == {"tribu.W008"}

    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert checks.check_redis() == []


def test_missing_stripe_keys_are_only_information(settings, monkeypatch):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    [message] = checks.check_payments()
    assert message.id == "tribu.I009"
    assert not message.is_serious()


def test_sqlite_on_a_network_filesystem_is_an_error(settings, monkeypatch):
    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip("SQLite only")
    monkeypatch.setattr(checks, "filesystem_type", lambda path: "nfs4")
    assert "tribu.E011" in ids(checks.check_storage())

    monkeypatch.setattr(checks, "filesystem_type", lambda path: "ext4")
    assert "tribu.E011" not in ids(checks.check_storage())


def test_the_immediate_task_backend_outside_tests_is_reported(settings):
    settings.TESTING = False
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    assert ids(checks.check_tasks()) == {"tribu.W013"}
