"""Shared test set-up: named users, one per role (alice the admin … gina the guest, oscar the outsider)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    from django.core.cache import cache

    cache.clear()


def make_user(email: str, role: str, name: str, *, password: str = "correct horse battery", verified: bool = True):  # noqa: S107
    from allauth.account.models import EmailAddress

    from tribu.accounts.models import User

    user = User.objects.create_user(email=email, password=password, display_name=name, role=role)
    if role in {"admin", "staff"}:
        user.is_staff = True
        user.is_superuser = role == "admin"
        user.save(update_fields=["is_staff", "is_superuser"])
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


@pytest.fixture
def alice(db):
    """Alice is an administrator."""
    return make_user("alice@example.org", "admin", "Alice Admin")


@pytest.fixture
def bob(db):
    """Bob is on the community team (staff)."""
    return make_user("bob@example.org", "staff", "Bob Staff")


@pytest.fixture
def anna(db):
    """Anna animates groups."""
    return make_user("anna@example.org", "animator", "Anna Animatrice")


@pytest.fixture
def mia(db):
    """Mia is a plain member."""
    return make_user("mia@example.org", "member", "Mia Membre")


@pytest.fixture
def gina(db):
    """Gina is a guest on a trial."""
    return make_user("gina@example.org", "guest", "Gina Guest")


@pytest.fixture
def users_by_role(alice, bob, anna, mia, gina):
    return {"admin": alice, "staff": bob, "animator": anna, "member": mia, "guest": gina}


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server in this process (aiosmtpd); Django's SMTP backend talks to it."""
    from aiosmtpd.handlers import Message

    from tests.browser import FreePortController

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    controller = FreePortController(Collect(), hostname="127.0.0.1", port=0)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    controller.received = received
    yield controller
    controller.stop()

