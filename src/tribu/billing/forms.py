"""Forms of the billing pages (validation only; writes go through ``actions``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tribu.memberships.models import Tier

from .models import Organisation
from .queries import RenewalFilters

MAX_EXPORT_DAYS = 3 * 366


class RenewalFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"), required=False,
        choices=[("", _("All situations")), ("due", _("Due soon")), ("overdue", _("Overdue (grace period)")),
                 ("lapsed", _("Lapsed"))],
    )
    days = forms.IntegerField(label=_("Due within (days)"), required=False, min_value=1, max_value=366, initial=30)
    tier = forms.ModelChoiceField(label=_("Tier"), required=False, queryset=Tier.objects.all(),
                                  empty_label=_("All tiers"))
    holder = forms.ChoiceField(label=_("Holder"), required=False,
                               choices=[("", _("Members and companies")), ("member", _("Members")),
                                        ("company", _("Companies"))])
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def filters(self) -> RenewalFilters:
        if not self.is_bound or not self.is_valid():
            return RenewalFilters()
        data = self.cleaned_data
        return RenewalFilters(
            status=data.get("status") or "", days=data.get("days") or 30,
            tier_id=data["tier"].pk if data.get("tier") else None, holder=data.get("holder") or "",
            q=" ".join((data.get("q") or "").split()),
        )


class ExportForm(forms.Form):
    start = forms.DateField(label=pgettext_lazy("date range", "From"),
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=pgettext_lazy("date range", "To (included)"),
                          widget=forms.DateInput(attrs={"type": "date"}))
    language = forms.ChoiceField(label=_("Column headers"), choices=[("fr", _("French")), ("en", _("English"))])
    dialect = forms.ChoiceField(
        label=_("Number format"),
        choices=[("fr", _("French: semicolons, decimal comma (1234,50), dates 31/12/2026")),
                 ("en", _("International: commas, decimal point (1234.50), dates 2026-12-31"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["start"].initial = today.replace(month=1, day=1)
        self.fields["end"].initial = today

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end date cannot be before the start date."))
            elif end - start > timedelta(days=MAX_EXPORT_DAYS):
                self.add_error("end", _("Export at most three years at a time."))
        return data


class OrganisationForm(forms.ModelForm):
    reminder_days = forms.CharField(
        label=_("Renewal reminders (days from the end date)"), max_length=100,
        help_text=_("Comma-separated, for example -30, -7, 0, 7: negative before the end date, positive after."),
    )

    class Meta:
        model = Organisation
        fields = ["legal_name", "address", "siret", "rna", "vat_number", "vat_mention", "email", "iban", "bic",
                  "invoice_footer", "tax_receipts_enabled", "tax_receipt_article", "object_description", "signatory"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "invoice_footer": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reminder_days"].initial = ", ".join(str(x) for x in self.instance.offsets)

    def clean_siret(self) -> str:
        value = "".join(self.cleaned_data.get("siret", "").split())
        if value and (not value.isdigit() or len(value) != 14):
            raise forms.ValidationError(_("A SIRET has 14 digits."))
        return value

    def clean_iban(self) -> str:
        value = "".join(self.cleaned_data.get("iban", "").split()).upper()
        if value and not _iban_ok(value):
            raise forms.ValidationError(_("This IBAN is not valid: check it against your bank details."))
        return value

    def clean_bic(self) -> str:
        value = self.cleaned_data.get("bic", "").strip().upper()
        if value and (len(value) not in (8, 11) or not value.isalnum()):
            raise forms.ValidationError(_("A BIC has 8 or 11 letters and digits."))
        return value

    def clean_reminder_days(self) -> list[int]:
        raw = self.cleaned_data.get("reminder_days", "")
        values: set[int] = set()
        for part in raw.replace(";", ",").split(","):
            part = part.strip().replace("J", "").replace("j", "")
            if not part:
                continue
            try:
                number = int(part)
            except ValueError:
                raise forms.ValidationError(_("Enter whole numbers of days separated by commas.")) from None
            if not -365 <= number <= 365:
                raise forms.ValidationError(_("Each reminder must be within a year of the end date."))
            values.add(number)
        if len(values) > 10:
            raise forms.ValidationError(_("Choose at most ten reminders."))
        return sorted(values)

    def values(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["reminder_offsets"] = self.cleaned_data["reminder_days"]
        return data


def _iban_ok(iban: str) -> bool:
    if len(iban) < 15 or len(iban) > 34 or not iban.isalnum() or not iban[:2].isalpha():
        return False
    moved = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1
