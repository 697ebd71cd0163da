"""Forms of the mailing app (validation of placeholders is in ``actions.check_override``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import consent
from .models import SuppressionReason


class PreferencesForm(forms.Form):
    """One checkbox per mailing topic."""

    def __init__(self, *args: object, initial_values: dict[str, bool] | None = None, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for topic in consent.topics():
            self.fields[topic.code] = forms.BooleanField(
                label=topic.label, help_text=topic.description, required=False,
                initial=(initial_values or {}).get(topic.code, False),
            )

    def wanted(self) -> dict[str, bool]:
        return {code: bool(self.cleaned_data.get(code)) for code in consent.TOPICS}


class OverrideForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Markdown: **bold**, *italic*, [a link](https://…), lists with “- ”. Placeholders below."),
    )


class SuppressForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    detail = forms.CharField(label=_("Why"), required=False, max_length=500)

    reason = SuppressionReason.MANUAL
