from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tribu.memberships.models import Tier

from .invitations import MAX_EMAILS_PER_INVITE
from .models import CreationMode, Group, GroupType, NotificationLevel, RuleKind, Visibility


class QuestionsField(forms.CharField):
    """One question per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "\n".join(value)
        return value or ""

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class GroupForm(forms.ModelForm):
    join_questions = QuestionsField(
        label=_("Questions asked to people who ask to join"), required=False,
        help_text=_("One question per line (moderated groups; 5 at most)."),
    )
    required_tiers = forms.ModelMultipleChoiceField(
        Tier.objects.filter(active=True), required=False, widget=forms.CheckboxSelectMultiple,
        label=_("Tiers that open it"), help_text=_("None checked: open to every member."),
    )

    class Meta:
        model = Group
        fields = ["name", "type", "parent", "visibility", "open_to_guests", "summary", "purpose", "rules",
                  "welcome_message", "join_questions", "required_tiers", "restriction_mode"]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 4}),
            "rules": forms.Textarea(attrs={"rows": 4}),
            "welcome_message": forms.Textarea(attrs={"rows": 3}),
            "visibility": forms.RadioSelect,
        }

    def __init__(self, *args: Any, parents: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents if parents is not None else Group.objects.none()
        self.fields["parent"].required = False
        self.fields["type"].required = False

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("required_tiers", None)
        return data


class GroupTypeForm(forms.ModelForm):
    class Meta:
        model = GroupType
        fields = ["name_fr", "name_en", "icon", "colour", "position"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}


class CreationPolicyForm(forms.Form):
    mode = forms.ChoiceField(label=_("Who may create groups"), choices=CreationMode.choices, widget=forms.RadioSelect)
    required_tiers = forms.ModelMultipleChoiceField(
        Tier.objects.filter(active=True), required=False, widget=forms.CheckboxSelectMultiple,
        label=_("Tiers whose members may create groups"),
    )


class ProposalForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    type = forms.ModelChoiceField(GroupType.objects.all(), label=_("Type"), required=False)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices, widget=forms.RadioSelect,
                                   initial=Visibility.PUBLIC)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000,
                              help_text=_("What the group is for, who it is for, how it will be run."))


class DecisionForm(forms.Form):
    message = forms.CharField(label=_("Message to the member (optional)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class InviteForm(forms.Form):
    emails = forms.CharField(
        label=_("Email addresses"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Paste addresses separated by commas, spaces or new lines (%(n)d at most).")
        % {"n": MAX_EMAILS_PER_INVITE},
    )
    csv_file = forms.FileField(label=_("Or a CSV file"), required=False,
                               help_text=_("Every email address found in the file is invited."))


class RuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Attribute"), choices=RuleKind.choices)
    tier = forms.ModelChoiceField(Tier.objects.all(), label=_("Tier"), required=False)
    company = forms.ModelChoiceField(None, label=_("Company"), required=False)
    field = forms.ModelChoiceField(None, label=_("Profile field"), required=False)
    value = forms.CharField(label=_("Value"), required=False, max_length=200,
                            help_text=_("For a region, a city or a profile field: the value members must have."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from tribu.accounts.models import CustomField
        from tribu.companies.models import Company

        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.all()
        self.fields["field"].queryset = CustomField.objects.filter(active=True)


class LevelForm(forms.Form):
    level = forms.ChoiceField(label=_("Notifications"), choices=NotificationLevel.choices)


def join_form(questions: list[str], data: Any = None) -> forms.Form:
    form = forms.Form(data)
    for i, question in enumerate(questions):
        form.fields[f"answer_{i}"] = forms.CharField(label=question, max_length=1000,
                                                     widget=forms.Textarea(attrs={"rows": 2}))
    return form
