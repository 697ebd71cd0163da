"""Forms of the payment pages: the payer's choice, the team's record of a payment, the settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tribu.accounts.models import User
from tribu.memberships.models import Tier
from tribu.memberships.money import parse_money

from .models import OFFLINE_METHODS, PaymentMethod, PaymentPurpose, PaymentSettings

OFFLINE_CHOICES = [(m.value, m.label) for m in OFFLINE_METHODS]


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class MoneyField(forms.Field):
    """An amount typed the reader's way ("60,00", "60.00") as integer cents."""

    def __init__(self, *args: Any, max_length: int = 20, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"maxlength": max_length, "inputmode": "decimal"}))
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> int | None:
        value = (value or "").strip() if isinstance(value, str) else value
        if value in (None, ""):
            return None
        if len(str(value)) > 20:
            raise ValidationError(_("This amount is too large."))
        return parse_money(value)


class RecordForm(forms.Form):
    """The team received a pending payment."""

    method = forms.ChoiceField(label=_("Received by"), choices=OFFLINE_CHOICES)
    amount = MoneyField(label=_("Amount received"), max_length=20, required=False,
                        help_text=_("Empty: the amount expected."))
    paid_on = forms.DateField(label=_("Received on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("Empty: today."))
    external_reference = forms.CharField(label=_("Cheque number or transfer label"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_paid_on(self) -> Any:
        value = self.cleaned_data.get("paid_on")
        if value and value > timezone.localdate():
            raise ValidationError(_("The payment date cannot be in the future."))
        return value


class NewPaymentForm(RecordForm):
    """A payment nobody announced (a member who never signed in, a donation handed over)."""

    user = forms.ModelChoiceField(label=_("Member"), queryset=User.objects.filter(is_active=True).order_by("email"),
                                  widget=forms.Select)
    purpose = forms.ChoiceField(label=_("For"), choices=[(PaymentPurpose.MEMBERSHIP.value,
                                                          PaymentPurpose.MEMBERSHIP.label),
                                                         (PaymentPurpose.DONATION.value,
                                                          PaymentPurpose.DONATION.label)])
    tier = forms.ModelChoiceField(label=_("Tier"), queryset=Tier.objects.filter(active=True, seats__isnull=True),
                                  required=False, help_text=_("For membership dues."))
    amount = MoneyField(label=_("Amount received"), max_length=20, required=False,
                        help_text=_("Empty: the tier's price."))

    field_order = ["user", "purpose", "tier", "amount", "method", "paid_on", "external_reference", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("purpose") == PaymentPurpose.MEMBERSHIP and not data.get("tier"):
            self.add_error("tier", _("Choose the tier the dues pay for."))
        if data.get("amount") is None:
            tier = data.get("tier")
            if data.get("purpose") == PaymentPurpose.MEMBERSHIP and tier is not None:
                data["amount"] = tier.price_cents
            elif "amount" not in self.errors:
                self.add_error("amount", _("Enter the amount received."))
        return data


class CompanyPaymentForm(RecordForm):
    """A company's dues the team received (announced by its contacts or not): every seat at once."""

    company = forms.ModelChoiceField(label=_("Company"), queryset=None, widget=forms.Select)  # type: ignore[arg-type]
    tier = forms.ModelChoiceField(label=_("Company tier"), queryset=Tier.objects.filter(active=True, seats__gt=0),
                                  help_text=_("The company's membership starts or runs one more period of this tier."))
    amount = MoneyField(label=_("Amount received"), max_length=20, required=False,
                        help_text=_("Empty: the tier's price."))

    field_order = ["company", "tier", "amount", "method", "paid_on", "external_reference", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from tribu.companies.models import Company

        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.order_by("name", "pk")  # type: ignore[attr-defined]

    def clean_amount(self) -> Any:
        value = self.cleaned_data.get("amount")
        if value is not None and value <= 0:
            raise ValidationError(_("Enter the amount received."))
        return value


def _offline_choices(bank: Any) -> list[tuple[str, Any]]:
    choices = []
    if bank is None or bank.transfer_ready:
        choices.append((PaymentMethod.TRANSFER.value, PaymentMethod.TRANSFER.label))
    if bank is None or bank.cheque_ready:
        choices.append((PaymentMethod.CHEQUE.value, PaymentMethod.CHEQUE.label))
    return choices


class OfflineChoiceForm(forms.Form):
    method = forms.ChoiceField(label=_("How will you pay?"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, bank: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = _offline_choices(bank)
        if self.fields["method"].choices:
            self.fields["method"].initial = self.fields["method"].choices[0][0]


class DonationForm(forms.Form):
    amount = MoneyField(label=_("Amount"), max_length=20)
    method = forms.ChoiceField(label=_("Pay by"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, card: bool = True, bank: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(PaymentMethod.CARD.value, PaymentMethod.CARD.label)] if card else []
        self.fields["method"].choices = choices + _offline_choices(bank)


class SettingsForm(forms.ModelForm):
    class Meta:
        model = PaymentSettings
        fields = ["bank_name", "cheques_accepted", "donations_enabled", "donation_currency"]
