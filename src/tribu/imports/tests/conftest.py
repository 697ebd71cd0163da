"""Import tests read the reports in English (the messages are stored in the language of the person
who ran the preview): English for code outside requests, and for the test client's requests."""

import pytest
from django.conf import settings as django_settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings, client):
    settings.LANGUAGE_CODE = "en"
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    translation.activate("en")
    yield
    translation.deactivate()
