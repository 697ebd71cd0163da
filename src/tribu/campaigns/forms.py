"""Forms of the campaign pages. Blocks are edited as rows of plain fields (``b-<n>-<field>``), read
back by ``blocks_from_post`` and validated by ``content.clean_blocks`` in the action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tribu.segments.models import Segment

from . import audience
from .models import Campaign

BLOCK_FIELDS = ("text_fr", "text_en", "url", "label_fr", "label_en", "alt_fr", "alt_en", "count")


class CampaignForm(forms.ModelForm):
    groups = forms.TypedMultipleChoiceField(
        label=_("Groups"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Members of any chosen group receive it, together with the segment's members."),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "kind",
            "subject_fr",
            "preheader_fr",
            "subject_en",
            "preheader_en",
            "segment",
            "rate_per_second",
        ]
        help_texts = {
            "subject_fr": _(
                "Leave both French fields empty to send in English only (and the other way round). "
                "Placeholders: {{ first_name }}, {{ last_name }}, {{ name }}, {{ email }}."
            ),
            "preheader_fr": _("The line inboxes show after the subject."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.order_by("name")
        self.fields["segment"].required = False
        choices = audience.group_choices()
        if choices:
            self.fields["groups"].choices = choices
            self.fields["groups"].initial = self.instance.group_ids if self.instance.pk else []
        else:
            del self.fields["groups"]

    def values(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        data["rate_per_second"] = data["rate_per_second"] or 0
        if "groups" in self.fields:
            data["group_ids"] = list(self.cleaned_data.get("groups") or [])
        return data


def blocks_from_post(post: Any) -> list[dict[str, Any]]:
    """The blocks as posted, in their order, without those ticked for removal; ``move`` and ``add``
    buttons reorder or append."""
    try:
        total = min(int(post.get("blocks-count", 0)), 60)
    except ValueError:
        total = 0
    blocks: list[dict[str, Any]] = []
    for index in range(total):
        prefix = f"b-{index}-"
        kind = post.get(prefix + "type", "")
        if post.get(prefix + "delete"):
            continue
        block: dict[str, Any] = {"type": kind}
        for name in BLOCK_FIELDS:
            if prefix + name in post:
                block[name] = post.get(prefix + name, "")
        for name in ("post_ids", "event_ids"):
            raw = post.get(prefix + name, "")
            if raw:
                block[name] = [int(x) for x in raw.split(",") if x.strip().isdigit()]
        blocks.append(block)
    move = post.get("move", "")
    if ":" in move:
        position, direction = move.split(":", 1)
        if position.isdigit():
            i = int(position)
            j = i - 1 if direction == "up" else i + 1
            if 0 <= i < len(blocks) and 0 <= j < len(blocks):
                blocks[i], blocks[j] = blocks[j], blocks[i]
    add = post.get("add", "")
    if add:
        blocks.append({"type": add, "count": 3} if add in {"posts", "events"} else {"type": add})
    return blocks


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Send on"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=_("Leave empty to send now."),
    )


class NewsletterForm(forms.Form):
    name = forms.CharField(label=_("Internal name"), max_length=160, required=False)
    period_start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("period_start") and data.get("period_end") and data["period_start"] > data["period_end"]:
            self.add_error("period_end", _("The period ends before it starts."))
        return data
