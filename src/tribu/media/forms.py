"""Form pieces for the apps that take attachments (feed composer, comments, library)::

    class PostForm(forms.Form):
        body = forms.CharField(widget=forms.Textarea)
        files = AttachmentsField()          # a list of checked files in cleaned_data

    media.actions.attach(post, form.cleaned_data["files"], actor=request.user)

Each file is checked with ``check_upload`` when the form is validated, so a refused file is a form
error next to the field (the action checks again: it never trusts its caller).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import conf
from .validation import check_upload

ACCEPT = {
    "image": "image/jpeg,image/png,image/gif,image/webp",
    "document": (".pdf,.docx,.xlsx,.pptx,.odt,.ods,.odp,.txt,.csv,application/pdf,text/plain,text/csv"),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    def __init__(self, *, kinds: tuple[str, ...] = ("image", "document"), **kwargs: Any) -> None:
        self.kinds = kinds
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("Attach pictures or documents"))
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"multiple": True, "accept": ",".join(ACCEPT[k] for k in kinds)})
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [file for file in (data if isinstance(data, list | tuple) else [data]) if file]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > conf.max_files():
            raise ValidationError(_("At most %(max)s files can be attached.") % {"max": conf.max_files()})
        errors: list[str] = []
        for file in files:
            try:
                check_upload(file, kinds=self.kinds)
            except ValidationError as exc:
                errors.extend(f"{file.name}: {message}" for message in exc.messages)
        if errors:
            raise ValidationError(errors)
        return files
