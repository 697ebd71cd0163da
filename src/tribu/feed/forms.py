from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import MAX_BODY
from .models import PostKind


class PostForm(forms.Form):
    body = forms.CharField(label=_("Your message"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Markdown. Mention a member with @[Name](user:id)."))
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[(PostKind.DISCUSSION, _("Discussion")),
                                      (PostKind.ANNOUNCEMENT, _("Announcement"))])
