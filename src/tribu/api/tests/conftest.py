from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def bearer():
    """A client that sends ``Authorization: Bearer <secret>``."""

    def make(secret: str) -> Client:
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return make


@pytest.fixture
def mia_secret(mia):
    from tribu.api.actions import create_token

    _token, secret = create_token(mia, "Mia's script")
    return secret


@pytest.fixture(autouse=True)
def _warm_community(_fresh_cache, db):
    """The community row is cached site-wide; warm it so query counts measure the API alone."""
    from tribu.core.community import get_community

    get_community()


def french_catalogue_ready(message: str) -> bool:
    from django.utils import translation

    with translation.override("fr"):
        return translation.gettext(message) != message
