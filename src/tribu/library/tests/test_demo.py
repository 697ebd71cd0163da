from __future__ import annotations

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_the_demo_library_is_filled_once(alice):
    from tribu.core.demo import DEMO_DOMAIN
    from tribu.library import demo
    from tribu.library.models import Category, Resource

    alice.email = f"admin@{DEMO_DOMAIN}"
    alice.save(update_fields=["email"])
    assert demo.populate(None, timezone.now()).startswith("6 ")  # the group ones wait for the groups step
    assert Category.objects.filter(parent__isnull=False).exists()
    assert Resource.objects.filter(featured=True).exists() and Resource.objects.exclude(file="").exists()
    assert demo.populate(None, timezone.now()).startswith("0 ")
