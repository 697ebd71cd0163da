from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import User


class SignupForm(forms.Form):
    """Extra signup fields, used by allauth's signup form (ACCOUNT_SIGNUP_FORM_CLASS)."""

    field_order = ["email", "display_name", "password1", "password2", "accept_charter"]

    display_name = forms.CharField(label=_("Your name"), max_length=150)
    accept_charter = forms.BooleanField(
        label=_("I accept the community charter"),
        required=True,
        error_messages={"required": _("You must accept the community charter to join.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The questions admins chose (``profile:manage_signup``), after the name and before the charter.
        from . import custom_fields as cf
        from . import profile_fields, queries

        self.signup_items = queries.signup_items()
        for item in self.signup_items:
            if item.custom_field is not None:
                self.fields[item.name] = cf.form_field(item.custom_field, required=item.required)
            else:
                self.fields[item.name] = profile_fields.form_field(item.standard, required=item.required)
        self.field_order = [
            "email", "display_name", "password1", "password2", *[i.name for i in self.signup_items], "accept_charter"
        ]
        self.fields["accept_charter"].help_text = format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("core:legal", args=["charter"]),
            _("Read the charter"),
        )
        self.fields["display_name"].widget.attrs["autocomplete"] = "name"

    def signup(self, request: HttpRequest, user: User) -> None:
        from . import actions

        user.display_name = self.cleaned_data["display_name"].strip()
        user.language = getattr(request, "LANGUAGE_CODE", "") or ""
        user.save(update_fields=["display_name", "language"])
        actions.accept_charter(user)
        data: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for item in self.signup_items:
            value = self.cleaned_data.get(item.name)
            if item.custom_field is not None:
                custom[item.custom_field.key] = value
            else:
                data[item.standard] = value
        if custom:
            data["custom"] = custom
        if data:
            actions.update_profile(user, user, data)


def time_zone_choices() -> list[tuple[str, str]]:
    return [("", _("Community default"))] + [(z, z) for z in sorted(zoneinfo.available_timezones())]


class AccountForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    class Meta:
        model = User
        fields = ["display_name", "first_name", "last_name", "language", "time_zone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Community default")), *settings.LANGUAGES]
        self.fields["time_zone"].choices = time_zone_choices()

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise ValidationError(_("Enter the name other members will see."))
        return name


# --- profiles -------------------------------------------------------------------------------------


def visibility_field(label: Any) -> forms.ChoiceField:
    from .models import Visibility
    from .policies import MEMBER_CHOICES

    return forms.ChoiceField(
        label=_("Who sees « %(field)s »") % {"field": label},
        choices=[(str(v), Visibility(v).label) for v in MEMBER_CHOICES],
        required=False,
        widget=forms.Select(attrs={"class": "visibility-select"}),
    )


def error_target(key: str) -> str:
    """The form field an action's error key belongs to ("visibility.city" → "vis_city")."""
    if key.startswith("visibility."):
        return "vis_" + key.split(".", 1)[1]
    return key


def add_action_errors(form: forms.Form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.message_dict.items():
        target = error_target(key)
        for message in errors:
            form.add_error(target if target in form.fields else None, message)


class ProfileForm(forms.Form):
    """Every standard profile field, a visibility choice for each optional one, and the active custom fields."""

    SECTIONS = (
        (_("Who you are"), ["display_name", "photo", "remove_photo", "job_title", "organisation", "bio"]),
        (_("Skills and interests"), ["skills", "interests"]),
        (_("Where you are"), ["city", "region", "country", "languages"]),
        (_("Links"), ["website", "social_linkedin", "social_mastodon", "social_instagram", "social_facebook",
                      "social_github", "social_x"]),
    )
    VISIBILITY_OF = {"social_linkedin": "social_links", "company": "company"}

    display_name = forms.CharField(label=_("Your name"), max_length=150)
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )
    remove_photo = forms.BooleanField(label=_("Remove my photo"), required=False)
    hidden_from_directory = forms.BooleanField(
        label=_("Hide me from the directory"),
        required=False,
        help_text=_("Members can still open your profile from your posts; the community team still sees you."),
    )

    def __init__(self, *args: Any, user: User, profile: Any, custom_fields: list[Any], values: dict[int, Any],
                 **kwargs: Any) -> None:
        from . import custom_fields as cf
        from . import profile_fields, queries
        from .images import max_image_bytes
        from .policies import OPTIONAL_FIELDS, field_visibility

        super().__init__(*args, **kwargs)
        self.user, self.profile, self.custom_fields, self.values = user, profile, custom_fields, values
        required = set(queries.required_standard_fields())
        for name in profile_fields.STANDARD_FIELDS:
            if name == "social_links":
                continue
            self.fields[name] = profile_fields.form_field(name, required=name in required)
        for key, label in profile_fields.SOCIAL_NETWORKS:
            self.fields[f"social_{key}"] = forms.CharField(
                label=label, required=False, max_length=200,
                widget=forms.URLInput(attrs={"placeholder": "https://"}),
            )
        self.fields["photo"].help_text = _("JPEG, PNG, GIF or WebP, %(max)s at most. It is cropped to a square.") % {
            "max": cf.human_size(max_image_bytes())
        }
        for name in OPTIONAL_FIELDS:
            self.fields[f"vis_{name}"] = visibility_field(profile_fields.label_of(name))
        self.custom_names = []
        for field in custom_fields:
            stored = values.get(field.pk)
            name = f"cf_{field.key}"
            self.fields[name] = cf.form_field(
                field, current=stored.value if stored else None, has_file=bool(stored and stored.file)
            )
            self.custom_names.append(name)
        if not self.is_bound:
            self.initial.update(self._initial(user, profile, values, field_visibility))

    def _initial(self, user: User, profile: Any, values: dict[int, Any], field_visibility: Any) -> dict[str, Any]:
        from .policies import OPTIONAL_FIELDS
        from .profile_fields import STANDARD_FIELDS

        initial: dict[str, Any] = {"display_name": user.name, "hidden_from_directory": profile.hidden_from_directory}
        for name in STANDARD_FIELDS:
            if name in {"skills", "interests"}:
                initial[name] = [t.name for t in getattr(profile, name).all()] if profile.pk else []
            elif name != "social_links":
                initial[name] = getattr(profile, name)
        for key, address in (profile.social_links or {}).items():
            initial[f"social_{key}"] = address
        for name in OPTIONAL_FIELDS:
            initial[f"vis_{name}"] = field_visibility(profile, name)
        for field in self.custom_fields:
            stored = values.get(field.pk)
            if stored is not None and field.kind != "file":
                initial[f"cf_{field.key}"] = stored.value
        return initial

    def clean_photo(self) -> Any:
        from .images import ImageRefused, open_image

        photo = self.cleaned_data.get("photo")
        if photo:
            try:
                open_image(photo)
            except ImageRefused as exc:
                raise ValidationError(str(exc)) from None
        return photo

    def clean(self) -> dict[str, Any]:
        from .profile_fields import clean_url

        cleaned = super().clean()
        for name in [n for n in self.fields if n.startswith("social_")]:
            try:
                cleaned[name] = clean_url(cleaned.get(name, ""))
            except ValidationError as exc:
                self.add_error(name, exc)
        return cleaned

    def profile_data(self) -> dict[str, Any]:
        """The change for ``actions.update_profile``."""
        from .policies import OPTIONAL_FIELDS
        from .profile_fields import SOCIAL_NETWORKS, STANDARD_FIELDS

        data = self.cleaned_data
        change: dict[str, Any] = {
            name: data[name] for name in STANDARD_FIELDS if name in data and name != "social_links"
        }
        change["display_name"] = data["display_name"]
        change["social_links"] = {key: data[f"social_{key}"] for key, _label in SOCIAL_NETWORKS
                                  if data.get(f"social_{key}")}
        change["visibility"] = {name: data[f"vis_{name}"] for name in OPTIONAL_FIELDS if data.get(f"vis_{name}")}
        change["hidden_from_directory"] = bool(data.get("hidden_from_directory"))
        if data.get("photo"):
            change["photo"] = data["photo"]
        elif data.get("remove_photo"):
            change["remove_photo"] = True
        custom = {}
        for field in self.custom_fields:
            value = data.get(f"cf_{field.key}")
            if field.kind == "file":
                if value is False:  # the "clear" box
                    custom[field.key] = False
                elif value:
                    custom[field.key] = value
                continue
            custom[field.key] = value
        if custom:
            change["custom"] = custom
        return change

    def custom_bound(self) -> list[dict[str, Any]]:
        rows = []
        for field in self.custom_fields:
            stored = self.values.get(field.pk)
            current_file = stored if field.kind == "file" and stored is not None and stored.file else None
            rows.append({"bound": self[f"cf_{field.key}"], "file": current_file,
                         "audience": field.get_visibility_display()})
        return rows

    def sections(self) -> list[dict[str, Any]]:
        """The fields grouped for the page, each with its visibility choice next to it."""
        groups = []
        for title, names in self.SECTIONS:
            rows = []
            for name in names:
                vis = f"vis_{self.VISIBILITY_OF.get(name, name)}"
                rows.append({"field": self[name], "visibility": self[vis] if vis in self.fields and
                             (name == "social_linkedin" or not name.startswith("social_")) else None})
            groups.append({"title": title, "rows": rows})
        return groups


class CompleteProfileForm(forms.Form):
    """Only the required fields a member has not filled yet."""

    def __init__(self, *args: Any, missing: Any, values: dict[int, Any], **kwargs: Any) -> None:
        from . import custom_fields as cf
        from . import profile_fields

        super().__init__(*args, **kwargs)
        self.missing = missing
        for name in missing.standard:
            self.fields[name] = profile_fields.form_field(name, required=True)
        for field in missing.custom:
            stored = values.get(field.pk)
            self.fields[f"cf_{field.key}"] = cf.form_field(
                field, current=stored.value if stored else None, required=True
            )

    def profile_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: self.cleaned_data[name] for name in self.missing.standard}
        custom = {f.key: self.cleaned_data[f"cf_{f.key}"] for f in self.missing.custom}
        custom = {key: value for key, value in custom.items() if value is not False}
        if custom:
            data["custom"] = custom
        return data


# --- custom fields and the signup form (admins) -----------------------------------------------------


class CustomFieldForm(forms.Form):
    label_fr = forms.CharField(label=_("Label (French)"), max_length=120)
    label_en = forms.CharField(label=_("Label (English)"), max_length=120, required=False)
    kind = forms.ChoiceField(label=_("Type"))
    key = forms.CharField(
        label=_("Key"), max_length=60, required=False,
        help_text=_("Used in CSV files and the API. Empty: made from the French label."),
    )
    help_fr = forms.CharField(label=_("Help text (French)"), max_length=300, required=False)
    help_en = forms.CharField(label=_("Help text (English)"), max_length=300, required=False)
    choices = forms.CharField(
        label=_("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "For the choice types: one per line, « value | Libellé en français | English label ». "
            "Removing a choice keeps the answers of members who picked it: they are shown as they are "
            "and those members keep them until they choose another."
        ),
    )
    visibility = forms.ChoiceField(label=_("Who sees the answers"))
    required = forms.BooleanField(
        label=_("Required"), required=False,
        help_text=_("Members who have not answered will be asked at their next log-in."),
    )
    on_signup = forms.BooleanField(label=_("Asked on the signup form"), required=False)
    directory_filter = forms.BooleanField(label=_("Usable as a directory filter"), required=False)
    segmentable = forms.BooleanField(label=_("Usable in mailing segments"), required=False)
    confirm_removed_choices = forms.BooleanField(label=_("Remove these choices anyway"), required=False)

    def __init__(self, *args: Any, instance: Any = None, **kwargs: Any) -> None:
        from . import custom_fields as cf
        from .models import CustomFieldKind, Visibility

        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["kind"].choices = CustomFieldKind.choices
        self.fields["visibility"].choices = Visibility.choices
        self.fields["visibility"].initial = Visibility.MEMBERS
        if instance is not None and not self.is_bound:
            self.initial.update({k: getattr(instance, k) for k in (
                "label_fr", "label_en", "kind", "key", "help_fr", "help_en", "visibility", "required", "on_signup",
                "directory_filter", "segmentable")})
            self.initial["choices"] = cf.choices_text(instance.choices)
        self.removal_warning: list[tuple[str, int]] = []  # (value, members) shown with the confirmation box

    def field_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "confirm_removed_choices"}
        if not data.get("key"):
            data.pop("key", None)
            if self.instance is not None:
                data["key"] = self.instance.key
        if data.get("kind") not in {"single_choice", "multiple_choice"} and not data.get("choices"):
            data["choices"] = ""
        if data.get("kind") == "file":
            data["on_signup"] = False
        return data


class SignupBuilderForm(forms.Form):
    """One row per question that may go on the signup form: asked?, required?, position."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from . import profile_fields
        from .models import CustomField, SignupField

        super().__init__(*args, **kwargs)
        rows = {(r.standard or f"cf{r.custom_field_id}"): r for r in SignupField.objects.all()}
        candidates: list[tuple[str, str, Any]] = [
            (name, str(profile_fields.label_of(name)), None) for name in profile_fields.SIGNUP_STANDARD
        ]
        candidates += [
            (f"cf{f.pk}", f.label, f) for f in CustomField.objects.filter(active=True).exclude(kind="file")
        ]
        big = 10_000
        candidates.sort(key=lambda c: (rows[c[0]].position if c[0] in rows else big, c[0] not in rows))
        self.rows = []
        for position, (ident, label, field) in enumerate(candidates, start=1):
            row = rows.get(ident)
            self.fields[f"on_{ident}"] = forms.BooleanField(
                label=_("Ask « %(field)s »") % {"field": label}, required=False, initial=row is not None
            )
            self.fields[f"req_{ident}"] = forms.BooleanField(
                label=_("« %(field)s » is required") % {"field": label}, required=False,
                initial=(field.required if field is not None else bool(row and row.required)),
            )
            self.fields[f"pos_{ident}"] = forms.IntegerField(
                label=_("Position of « %(field)s »") % {"field": label}, min_value=1, max_value=999, initial=position,
                required=False,
                widget=forms.NumberInput(attrs={"class": "position-input"}),
            )
            self.rows.append({"ident": ident, "label": label, "custom": field})

    def bound_rows(self) -> list[dict[str, Any]]:
        return [
            {**row, "on": self[f"on_{r}"], "req": self[f"req_{r}"], "pos": self[f"pos_{r}"]}
            for row in self.rows
            for r in [row["ident"]]
        ]

    def items(self) -> list[dict[str, Any]]:
        chosen = []
        for row in self.rows:
            ident = row["ident"]
            if not self.cleaned_data.get(f"on_{ident}"):
                continue
            item: dict[str, Any] = {"required": bool(self.cleaned_data.get(f"req_{ident}"))}
            if row["custom"] is not None:
                item["custom_field"] = row["custom"].pk
            else:
                item["standard"] = ident
            chosen.append((self.cleaned_data.get(f"pos_{ident}") or 999, len(chosen), item))
        return [item for _pos, _i, item in sorted(chosen)]

    def required_custom(self) -> dict[int, bool]:
        """The "required" boxes of custom fields left off the form (still applied to the field)."""
        return {
            row["custom"].pk: bool(self.cleaned_data.get(f"req_{row['ident']}"))
            for row in self.rows if row["custom"] is not None
        }
