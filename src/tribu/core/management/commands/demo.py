"""``tribu demo``: fill the instance with a realistic French demo community."""

from __future__ import annotations

import importlib
import importlib.util
import time
import zlib
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from faker import Faker

from tribu.core import demo as core_demo

DemoStep = Callable[..., Any]


def demo_steps() -> list[tuple[str, DemoStep]]:
    """Every Tribu app that has a ``demo`` module with ``populate(faker, now)``, in INSTALLED_APPS order."""
    steps: list[tuple[str, DemoStep]] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("tribu."):
            continue
        module_name = f"{config.name}.demo"
        if importlib.util.find_spec(module_name) is None:
            continue
        populate = getattr(importlib.import_module(module_name), "populate", None)
        if callable(populate):
            steps.append((config.label, populate))
    return steps


class Command(BaseCommand):
    help = (
        'Create a realistic French demo community ("Réseau des Artisans de Bretagne"): branding, '
        "charter and legal pages, ~200 members with verified emails across every role, and their "
        "history. Idempotent: running it again creates nothing new. Each Tribu app adds its own part "
        "by providing `tribu/<app>/demo.py` with `populate(faker, now)`; the steps run in "
        "INSTALLED_APPS order (core first, so the members exist for the apps that follow). "
        f"Every demo login shares the password {core_demo.DEMO_PASSWORD!r}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=core_demo.DEMO_PASSWORD,
            help="The password shared by every demo member (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        now = timezone.now()
        for label, populate in demo_steps():
            faker = Faker("fr_FR")
            # One seed per app: adding a step to one app does not reshuffle the others' data.
            faker.seed_instance(core_demo.DEMO_SEED + zlib.crc32(label.encode()))
            extra = {"password": options["password"]} if label == "core" else {}
            result = populate(faker, now, **extra)
            self.stdout.write(f"  {label}: {result if result is not None else 'done'}")
        self.stdout.write(self.style.SUCCESS(f"Demo community ready in {time.monotonic() - started:.1f} s."))
        password = options["password"]
        self.stdout.write(f"Log in at /accounts/login/ with one of these (password: {password}):")
        for role, label in [
            ("admin", "administrator"),
            ("staff", "community team"),
            ("animator", "animator"),
            ("member", "member"),
            ("guest", "guest"),
        ]:
            self.stdout.write(f"  {label:<15} {core_demo.DEMO_LOGINS[role]}")
