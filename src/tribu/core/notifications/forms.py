from __future__ import annotations

from typing import Any

from django import forms

from tribu.core.models import NotificationChannel

from .kinds import NotificationKind

CHANNEL_CHOICES = [
    (NotificationChannel.IN_APP.value, NotificationChannel.IN_APP.label),
    (NotificationChannel.EMAIL.value, NotificationChannel.EMAIL.label),
    (NotificationChannel.DIGEST.value, NotificationChannel.DIGEST.label),
    (NotificationChannel.OFF.value, NotificationChannel.OFF.label),
]


class PreferencesForm(forms.Form):
    """One select per registered kind, named after the kind's code."""

    def __init__(self, rows: list[tuple[NotificationKind, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, channel in rows:
            self.fields[kind.code] = forms.ChoiceField(
                label=kind.label, help_text=kind.description, choices=CHANNEL_CHOICES, initial=channel
            )

    def changed_preferences(self) -> dict[str, str]:
        return {code: self.cleaned_data[code] for code in self.changed_data}
