"""The comment form (the text is checked again by ``actions.check_body``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import MAX_COMMENT


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown. Type @ to mention a member."),
        error_messages={"max_length": _("Keep a comment under %(limit_value)d characters."),
                        "required": _("Write something before sending your comment.")},
    )
