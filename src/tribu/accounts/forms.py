from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import User


class SignupForm(forms.Form):
    """Extra signup fields, used by allauth's signup form (ACCOUNT_SIGNUP_FORM_CLASS)."""

    field_order = ["email", "display_name", "password1", "password2", "accept_charter"]

    display_name = forms.CharField(label=_("Your name"), max_length=150)
    accept_charter = forms.BooleanField(
        label=_("I accept the community charter"),
        required=True,
        error_messages={"required": _("You must accept the community charter to join.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["accept_charter"].help_text = format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("core:legal", args=["charter"]),
            _("Read the charter"),
        )
        self.fields["display_name"].widget.attrs["autocomplete"] = "name"

    def signup(self, request: HttpRequest, user: User) -> None:
        from . import actions

        user.display_name = self.cleaned_data["display_name"].strip()
        user.language = getattr(request, "LANGUAGE_CODE", "") or ""
        user.save(update_fields=["display_name", "language"])
        actions.accept_charter(user)


def time_zone_choices() -> list[tuple[str, str]]:
    return [("", _("Community default"))] + [(z, z) for z in sorted(zoneinfo.available_timezones())]


class AccountForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    class Meta:
        model = User
        fields = ["display_name", "first_name", "last_name", "language", "time_zone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Community default")), *settings.LANGUAGES]
        self.fields["time_zone"].choices = time_zone_choices()

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise ValidationError(_("Enter the name other members will see."))
        return name
