"""Forms of the tiers admin and of the staff's membership actions (a reason is always required)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Area, Period, RestrictionMode, Tier
from .money import cents_to_input, parse_money, validate_currency

MONTHS = [
    (1, _("January–December")), (2, _("February–January")), (3, _("March–February")), (4, _("April–March")),
    (5, _("May–April")), (6, _("June–May")), (7, _("July–June")), (8, _("August–July")),
    (9, _("September–August")), (10, _("October–September")), (11, _("November–October")),
    (12, _("December–November")),
]


class TierForm(forms.ModelForm):
    price = forms.CharField(
        label=_("Price"), max_length=20, initial="0,00", help_text=_("For example 60,00 (0 for a free tier)."),
    )
    calendar_start_month = forms.TypedChoiceField(
        label=_("Fixed calendar year"), choices=MONTHS, coerce=int, initial=1,
        help_text=_("Only for the fixed calendar year period."),
    )

    class Meta:
        model = Tier
        fields = [
            "name_fr", "name_en", "description_fr", "description_en", "price", "currency", "period",
            "calendar_start_month", "grace_days", "self_selectable", "is_guest", "trial_days", "downgrade_to", "seats",
        ]
        widgets = {
            "description_fr": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
            "currency": forms.TextInput(attrs={"size": 3, "maxlength": 3, "autocapitalize": "characters"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["price"].initial = cents_to_input(self.instance.price_cents)
            self.fields["downgrade_to"].queryset = Tier.objects.exclude(pk=self.instance.pk)
        self.fields["downgrade_to"].help_text = _("Guest tiers: the tier a member moves to when the trial ends.")

    def clean_price(self) -> int:
        return parse_money(self.cleaned_data["price"])

    def clean_currency(self) -> str:
        return validate_currency(self.cleaned_data["currency"])

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["price_cents"] = data.pop("price")
        return data


class AreaForm(forms.Form):
    required_tiers = forms.ModelMultipleChoiceField(
        label=_("Tiers that open it"), queryset=Tier.objects.filter(active=True), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None: open to everyone with an account."),
    )
    mode = forms.ChoiceField(label=_("Without the tier"), choices=RestrictionMode.choices)

    def __init__(self, *args: Any, area: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", area)
        super().__init__(*args, **kwargs)
        self.area = area
        self.label = Area(area).label


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the membership's history."),
    )


class GrantForm(ReasonForm):
    field_order = ["tier", "starts_on", "ends_on", "reason"]
    tier = forms.ModelChoiceField(label=_("Tier"), queryset=Tier.objects.filter(active=True))
    starts_on = forms.DateField(label=_("Starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                help_text=_("Empty: today."))
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("Empty: the end of the tier's period."))

    def __init__(self, *args: Any, company: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rows = Tier.objects.filter(active=True)
        self.fields["tier"].queryset = rows.filter(seats__gt=0) if company else rows.exclude(seats__gt=0)


class ExtendForm(ReasonForm):
    field_order = ["to", "reason"]
    to = forms.DateField(label=_("New end date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                         help_text=_("Empty: one more period."))


class ChangeTierForm(GrantForm):
    field_order = ["tier", "ends_on", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["starts_on"]
        self.fields["ends_on"].help_text = _("Empty: keep the current end date.")


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put an action's ``ValidationError`` on the form (on its field when the form has it)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, [m for e in errors for m in e.messages])
    else:
        form.add_error(None, exc.messages)


PERIOD_CHOICES = Period.choices
