"""Forms of the companies pages; validation of substance lives in ``validators`` and ``actions``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import COMPANY_FIELDS, CONTACT_FIELDS, parse_emails
from .models import Company, PartnerLevel
from .validators import normalise_siret, normalise_vat, validate_logo, validate_siret, validate_vat


class CompanyForm(forms.ModelForm):
    """Staff see every field; a company contact sees every field but the partner level."""

    siret = forms.CharField(
        label=_("SIRET"), max_length=20, required=False, help_text=_("14 digits, as on the Kbis extract."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    vat_number = forms.CharField(
        label=_("VAT number"), max_length=30, required=False,
        help_text=_("Printed on the company's invoices and receipts, e.g. FR32123456789."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = Company
        fields = list(COMPANY_FIELDS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        }
        help_texts = {
            "description": _("Markdown: **bold**, *italics*, lists and links."),
            "page_visibility": _("A public page can be seen by anyone, without an account."),
        }

    def __init__(self, *args: Any, contact_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if contact_only:
            del self.fields["partner_level"]
        if "partner_level" in self.fields:
            self.fields["partner_level"].empty_label = _("None")
            self.fields["partner_level"].queryset = PartnerLevel.objects.order_by("position", "id")

    def clean_siret(self) -> str:
        siret = normalise_siret(self.cleaned_data.get("siret", ""))
        validate_siret(siret)
        return siret

    def clean_vat_number(self) -> str:
        vat = normalise_vat(self.cleaned_data.get("vat_number", ""))
        validate_vat(vat)
        return vat

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):  # a new upload (not the file already stored)
            validate_logo(logo)
        return logo

    def changed_values(self) -> dict[str, Any]:
        allowed = set(self.fields)
        return {name: self.cleaned_data.get(name) for name in self.changed_data if name in allowed}


CONTACT_ONLY_FIELDS = CONTACT_FIELDS


class PartnerLevelForm(forms.ModelForm):
    class Meta:
        model = PartnerLevel
        fields = ["name_fr", "name_en", "position"]
        help_texts = {"position": _("Levels with a lower position are shown first.")}


class InviteForm(forms.Form):
    emails = forms.CharField(
        label=_("Email addresses"),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_("One or several addresses, separated by commas or new lines."),
        max_length=5000,
    )

    def clean_emails(self) -> list[str]:
        from django.core.exceptions import ValidationError

        from .actions import check_emails

        try:
            return check_emails(parse_emails(self.cleaned_data.get("emails", "")))
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class AttachForm(forms.Form):
    email = forms.EmailField(label=_("Member's email address"))
    is_contact = forms.BooleanField(label=_("Company contact"), required=False)


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, delete it"), required=True)
