from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tribu.accounts.models import User

from .actions import consent_text
from .models import ConsentKind


class ConsentsForm(forms.Form):
    newsletter = forms.BooleanField(required=False)
    event_announcements = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["newsletter"].label = consent_text(ConsentKind.NEWSLETTER)
        self.fields["event_announcements"].label = consent_text(ConsentKind.EVENT_ANNOUNCEMENTS)


class EraseAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and my personal data will be deleted for good."), required=True
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not right."))
        return password


class ErasureRequestForm(forms.Form):
    """The team enters a request someone sent them (by letter, by email…)."""

    email = forms.EmailField(label=_("Email address of the member"))
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How and when the request reached you."),
    )

    def clean_email(self) -> Any:
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active member has this email address."))
        self.member = user
        return email
