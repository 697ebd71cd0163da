"""Forms of the library pages: they shape input; the actions validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tribu.memberships.models import RestrictionMode, Tier

from .models import Category, ResourceKind

COMMUNITY = "community"


def category_label(category: Category) -> str:
    """"Club photo · Guides › Legal": where the category lives, its parent, its name."""
    name = f"{category.parent.name} › {category.name}" if category.parent_id else category.name
    return f"{category.group.name} · {name}" if category.group_id else name


class ResourceForm(forms.Form):
    place = forms.ChoiceField(label=_("Library"), help_text=_("The community library or a group's."))
    kind = forms.ChoiceField(label=_("Kind"), choices=ResourceKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("Summary"), max_length=400, required=False,
                              help_text=_("Shown in lists and to members without the tier."))
    body = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
                           help_text=_("Markdown. A video address alone on its line is embedded."))
    file = forms.FileField(label=_("File"), required=False,
                           help_text=_("A PDF, an office file, a text or CSV file, or a picture."))
    url = forms.CharField(label=_("Web address"), required=False, max_length=1000,
                          help_text=_("For a video, a podcast or a link."))
    cover = forms.FileField(label=_("Cover image"), required=False)
    cover_alt = forms.CharField(label=_("Cover image description"), required=False, max_length=200,
                                help_text=_("For people who cannot see the picture."))
    remove_cover = forms.BooleanField(label=_("Remove the cover image"), required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False,
                                      empty_label=_("No category"))
    featured = forms.BooleanField(label=_("Featured"), required=False)
    published = forms.BooleanField(label=_("Published"), required=False, initial=True,
                                   help_text=_("Unpublished resources are only seen by those who manage them."))
    required_tiers = forms.ModelMultipleChoiceField(
        label=_("Tiers that open it"), queryset=Tier.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("Empty: open to everyone who sees the library."),
    )
    restriction_mode = forms.ChoiceField(label=_("Without the tier"), choices=RestrictionMode.choices,
                                         initial=RestrictionMode.TEASER)

    def __init__(self, *args: Any, places: list[tuple[str, str]], categories: Any, editing: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = places
        self.fields["category"].queryset = categories
        self.fields["category"].label_from_instance = category_label
        self.fields["file"].widget.attrs["accept"] = (
            ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp,.txt,.csv,image/*")
        self.fields["cover"].widget.attrs["accept"] = "image/jpeg,image/png,image/gif,image/webp"
        if editing:
            self.fields["place"].disabled = True
        else:
            del self.fields["remove_cover"]


class CategoryForm(forms.Form):
    place = forms.ChoiceField(label=_("Library"))
    name_fr = forms.CharField(label=_("Name (French)"), max_length=120)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    description_fr = forms.CharField(label=_("Description (French)"), required=False, max_length=5000,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    description_en = forms.CharField(label=_("Description (English)"), required=False, max_length=5000,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    parent = forms.ModelChoiceField(label=_("Parent category"), queryset=Category.objects.none(), required=False,
                                    empty_label=_("None: a top-level category"))
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=10000, initial=0)

    def __init__(self, *args: Any, places: list[tuple[str, str]], parents: Any, editing: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = places
        self.fields["parent"].queryset = parents
        if editing:
            self.fields["place"].disabled = True
