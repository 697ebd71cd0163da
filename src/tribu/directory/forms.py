from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import MESSAGE_MAX, MESSAGE_MIN, SUBJECT_MAX


class ContactForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)
    message = forms.CharField(
        label=_("Message"),
        min_length=MESSAGE_MIN,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text, %(max)d characters at most.") % {"max": MESSAGE_MAX},
    )
    allow_reply = forms.BooleanField(
        label=_("Let them reply to my email address"),
        required=False,
        help_text=_("Unticked, your email address is not shared: they can write back through the directory."),
    )

    def clean_subject(self) -> str:
        return " ".join(self.cleaned_data["subject"].split())
