from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Community

IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif", "image/x-icon", "image/vnd.microsoft.icon"}


def add_action_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show an action's ``ValidationError`` on the form: messages for one of the form's fields go
    under that field, the others (and messages without a field) at the top of the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)

def validate_image_upload(upload: object) -> None:
    """Uploads are type-checked by their content (Pillow) and size-limited."""
    if upload is None or not hasattr(upload, "size"):
        return
    limit = settings.TRIBU_MAX_IMAGE_BYTES
    if upload.size > limit:  # type: ignore[attr-defined]
        raise ValidationError(
            _("The image is too large (%(size)s MB at most).") % {"size": f"{limit / 1024 / 1024:.0f}"}
        )
    content_type = getattr(upload, "content_type", "")
    if content_type and content_type not in IMAGE_TYPES:
        raise ValidationError(_("Upload a PNG, JPEG, WebP, GIF or ICO image."))


class ColourInput(forms.TextInput):
    input_type = "color"


class CommunityForm(forms.ModelForm):
    class Meta:
        model = Community
        fields = [
            "name",
            "tagline",
            "logo",
            "favicon",
            "primary_colour",
            "secondary_colour",
            "default_language",
            "time_zone",
            "contact_email",
            "charter",
            "privacy_policy",
            "legal_notice",
            "require_admin_2fa",
        ]
        widgets = {
            "primary_colour": ColourInput(),
            "secondary_colour": ColourInput(),
            "charter": forms.Textarea(attrs={"rows": 8}),
            "privacy_policy": forms.Textarea(attrs={"rows": 8}),
            "legal_notice": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {
            "charter": _("Markdown. Members accept it when they sign up."),
            "privacy_policy": _("Markdown."),
            "legal_notice": _("Markdown."),
        }

    def clean_logo(self) -> object:
        logo = self.cleaned_data.get("logo")
        validate_image_upload(logo)
        return logo

    def clean_favicon(self) -> object:
        favicon = self.cleaned_data.get("favicon")
        validate_image_upload(favicon)
        return favicon

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"]
        if name not in zoneinfo.available_timezones():
            raise ValidationError(_("Unknown time zone. Use a name such as Europe/Paris."))
        return name
