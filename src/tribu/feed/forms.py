from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import MAX_BODY, MAX_TITLE
from .models import Audience, PostKind, WelcomeBlock


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class PostForm(forms.Form):
    """The quick composer of a group's feed tab."""

    body = forms.CharField(label=_("Your message"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Markdown. Mention a member with @[Name](user:id)."))
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[(PostKind.DISCUSSION, _("Discussion")),
                                      (PostKind.ANNOUNCEMENT, _("Announcement"))])


class ComposeForm(forms.Form):
    """The full composer: kind, place, title, text, link, cover, tags, and publish / schedule / draft."""

    ACTIONS = [("publish", _("Publish now")), ("schedule", _("Schedule")), ("draft", _("Save as draft"))]

    place = forms.ChoiceField(label=_("Where"), required=False)
    kind = forms.ChoiceField(label=_("Kind of post"), initial=PostKind.DISCUSSION)
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE, required=False,
                            help_text=_("Required for an article."))
    body = forms.CharField(label=_("Your message"), max_length=MAX_BODY,
                           widget=forms.Textarea(attrs={"rows": 8}),
                           error_messages={"max_length": _("Keep a post under %(limit_value)d characters.")},
                           help_text=_("Markdown. Type @ to mention a member, # for a tag."))
    link_url = forms.CharField(label=_("Link"), max_length=1000, required=False,
                               widget=forms.URLInput(attrs={"placeholder": "https://"}),
                               help_text=_("For a link post: the page you share."))
    cover = forms.FileField(label=_("Cover image"), required=False, help_text=_("For an article: JPEG, PNG or WebP."))
    cover_alt = forms.CharField(label=_("Cover image description"), max_length=200, required=False,
                                help_text=_("What the picture shows, for people who cannot see it."))
    tags = forms.CharField(label=_("Tags"), max_length=600, required=False,
                           help_text=_("Separated by spaces or commas; #tags in the text count too."))
    files = MultipleFileField(label=_("Pictures and documents"), required=False,
                              help_text=_("Pictures (JPEG, PNG, WebP, GIF), PDF and office documents."))
    alts = forms.CharField(label=_("Picture descriptions"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("One line per picture, in the order of the files."))
    publish_at = forms.DateTimeField(label=_("Publish on"), required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                format="%Y-%m-%dT%H:%M"),
                                     input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
    action = forms.ChoiceField(choices=ACTIONS, initial="publish", required=False)

    def __init__(self, *args, places=(), kinds=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = list(places)
        self.fields["kind"].choices = list(kinds)
        if editing:
            del self.fields["place"]

    def clean_action(self) -> str:
        return self.cleaned_data.get("action") or "publish"


class WelcomeBlockForm(forms.ModelForm):
    class Meta:
        model = WelcomeBlock
        fields = ["title", "body", "audience", "new_member_days", "tier", "group", "position", "active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = Audience.choices
        self.fields["tier"].required = False
        self.fields["group"].required = False
        from tribu.groups.models import Group

        self.fields["group"].queryset = Group.objects.filter(archived_at__isnull=True).order_by("name")

    def clean(self):
        data = super().clean()
        audience = data.get("audience")
        if audience == Audience.TIER and not data.get("tier"):
            self.add_error("tier", _("Choose the tier this block is for."))
        if audience == Audience.GROUP and not data.get("group"):
            self.add_error("group", _("Choose the group this block is for."))
        return data
