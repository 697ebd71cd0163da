from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tribu.accounts.models import CustomField, Role
from tribu.companies.models import Company
from tribu.memberships.models import MembershipStatus, Tier

from . import exports
from . import fields as F
from .models import ImportKind
from .parsing import MAX_BYTES


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("The file lists"), choices=ImportKind.choices, initial=ImportKind.MEMBERS,
                             widget=forms.RadioSelect)
    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_("CSV (UTF-8 or Windows/Latin-1; separated by commas, semicolons or tabs) or XLSX, "
                    "20 MB at most. The first line holds the column names."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        if not upload.name.lower().endswith((".csv", ".txt", ".tsv", ".xlsx")):
            raise forms.ValidationError(_("Choose a .csv or .xlsx file."))
        return upload


class MappingForm(forms.Form):
    """One select per column of the file, pre-filled with the remembered or guessed field."""

    def __init__(self, *args: Any, job: Any, samples: list[list[Any]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = F.targets_for(job.kind, list(CustomField.objects.filter(active=True)))
        for index, header in enumerate(job.headers):
            examples = [str(row[index]) for row in samples if index < len(row) and str(row[index]).strip()][:3]
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("Column %(n)s") % {"n": index + 1},
                choices=choices, required=False, initial=job.mapping.get(str(index), F.IGNORE),
                help_text=_("For example: %(values)s") % {"values": " · ".join(examples)} if examples else "",
            )

    def mapping(self) -> dict[str, str]:
        return {name[4:]: value for name, value in self.cleaned_data.items() if name.startswith("col_")}


class ApplyForm(forms.Form):
    invite = forms.BooleanField(
        label=_("Invite the new members by email (a link to choose their password)"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


FORMATS = [("csv", _("CSV (Excel-friendly)")), ("xlsx", _("Excel (XLSX)"))]
DELIMITERS = [(";", _("Semicolon (Excel in French)")), (",", _("Comma"))]


class ExportFormatMixin(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=FORMATS, initial="csv")
    delimiter = forms.ChoiceField(label=_("CSV separator"), choices=DELIMITERS, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["delimiter"].initial = ";" if (get_language() or "fr").startswith("fr") else ","

    def clean_delimiter(self) -> str:
        return self.cleaned_data.get("delimiter") or self.fields["delimiter"].initial


class MemberExportForm(ExportFormatMixin):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices])
    tier = forms.ChoiceField(label=_("Membership tier"), required=False)
    status = forms.ChoiceField(
        label=_("Membership status"), required=False,
        choices=[("", _("All")), *MembershipStatus.choices, ("none", _("No current membership"))],
    )
    company = forms.TypedChoiceField(label=_("Company"), required=False, coerce=int, empty_value=None)
    columns = forms.MultipleChoiceField(label=_("Columns"), widget=forms.CheckboxSelectMultiple, required=True)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("All tiers"))] + [(t.slug, t.name) for t in Tier.objects.all()]
        companies = Company.objects.order_by("name").values_list("pk", "name")
        self.fields["company"].choices = [("", _("All companies")), *companies]
        self.custom_fields = list(CustomField.objects.filter(active=True).exclude(kind="file"))
        self.fields["columns"].choices = exports.member_columns(self.custom_fields)
        self.fields["columns"].initial = exports.DEFAULT_MEMBER_COLUMNS


class CompanyExportForm(ExportFormatMixin):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    columns = forms.MultipleChoiceField(label=_("Columns"), widget=forms.CheckboxSelectMultiple, required=True)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = [(k, str(label)) for k, label in exports.COMPANY_COLUMNS]
        self.fields["columns"].initial = [k for k, _label in exports.COMPANY_COLUMNS]
