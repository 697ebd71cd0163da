from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from tribu.core.models import DigestFrequency, NotificationChannel

from .kinds import NotificationKind

CHANNEL_CHOICES = [
    (NotificationChannel.IN_APP.value, NotificationChannel.IN_APP.label),
    (NotificationChannel.EMAIL.value, NotificationChannel.EMAIL.label),
    (NotificationChannel.DIGEST.value, NotificationChannel.DIGEST.label),
    (NotificationChannel.OFF.value, NotificationChannel.OFF.label),
]

WEEKDAY_CHOICES = [
    (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
    (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday")),
]


def app_name(label: str) -> str:
    """The app's display name (its ``verbose_name``) for a kind's ``app_label``."""
    try:
        return str(apps.get_app_config(label).verbose_name)
    except LookupError:
        return label


class PreferencesForm(forms.Form):
    """How often the digest comes, then one select per registered kind (named after the kind's code),
    offering only the channels that kind allows."""

    digest_frequency = forms.ChoiceField(
        label=_("Digest email"), choices=DigestFrequency.choices, required=False,
        help_text=_("One email, in the morning, with what you missed: the notifications you chose to get "
                    "in the digest and the most discussed posts of your groups."),
    )
    digest_weekday = forms.TypedChoiceField(
        label=_("Day of the weekly digest"), choices=WEEKDAY_CHOICES, coerce=int, required=False,
    )

    def __init__(
        self, rows: list[tuple[NotificationKind, str]], digest: tuple[str, int], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["digest_frequency"].initial = digest[0]
        self.fields["digest_weekday"].initial = digest[1]
        self.kind_codes: list[str] = []
        self.app_of: dict[str, str] = {}
        for kind, channel in rows:
            allowed = set(kind.allowed_channels())
            self.fields[kind.code] = forms.ChoiceField(
                label=kind.label, help_text=kind.description, required=False,
                choices=[c for c in CHANNEL_CHOICES if c[0] in allowed],
                initial=channel if channel in allowed else NotificationChannel.OFF,
            )
            self.kind_codes.append(kind.code)
            self.app_of[kind.code] = kind.app_label

    def kind_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The kind fields grouped by app, in registry order, the platform's own first."""
        groups: dict[str, list[forms.BoundField]] = {}
        for code in self.kind_codes:
            groups.setdefault(self.app_of[code], []).append(self[code])
        ordered = sorted(groups.items(), key=lambda item: (item[0] != "core", app_name(item[0])))
        return [(app_name(label), fields) for label, fields in ordered]

    def changed_preferences(self) -> dict[str, str]:
        """The kinds whose channel changed (a kind left out of the POST keeps its channel)."""
        return {
            code: self.cleaned_data[code] for code in self.changed_data
            if code in self.kind_codes and self.cleaned_data.get(code)
        }

    def digest_choice(self, current: tuple[str, int]) -> tuple[str, int]:
        """The frequency and weekday chosen (a field left out of the POST keeps its current value)."""
        frequency = self.cleaned_data.get("digest_frequency") or current[0]
        weekday = self.cleaned_data.get("digest_weekday")
        return frequency, weekday if isinstance(weekday, int) else current[1]
