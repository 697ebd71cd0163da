"""Forms of the events pages; rules of substance live in ``actions``."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tribu.accounts.images import ImageRefused, open_image
from tribu.accounts.models import CustomFieldKind
from tribu.memberships.models import Tier

from .models import Event, Recurrence, ResourceKind, TicketType

LOCAL = "%Y-%m-%dT%H:%M"
COMMON_ZONES = [
    "Europe/Paris", "Europe/Brussels", "Europe/Zurich", "Europe/Luxembourg", "Europe/London", "Europe/Lisbon",
    "America/Montreal", "America/New_York", "Africa/Casablanca", "Africa/Dakar", "Indian/Reunion",
    "America/Guadeloupe", "America/Martinique", "Pacific/Noumea", "UTC",
]


def zone_choices() -> list[tuple[str, str]]:
    zones = list(dict.fromkeys([settings.TIME_ZONE, *COMMON_ZONES]))
    return [(z, z) for z in zones]


class LocalDateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL)
    input_formats = [LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

    def to_python(self, value: Any) -> datetime | None:
        # Naive here: the form makes it aware in the event's own time zone.
        result = super().to_python(value)
        return result.replace(tzinfo=None) if result is not None else None


def _in_zone(value: datetime | None, zone: str) -> datetime | None:
    if value is None:
        return None
    if timezone.is_aware(value):
        return value
    return timezone.make_aware(value, ZoneInfo(zone))


class EventForm(forms.ModelForm):
    starts_at = LocalDateTimeField(label=_("Starts at"))
    ends_at = LocalDateTimeField(label=_("Ends at"))
    registration_deadline = LocalDateTimeField(label=_("Registration deadline"), required=False,
                                               help_text=_("Empty: until the event starts."))
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=zone_choices)
    required_tiers = forms.ModelMultipleChoiceField(
        label=_("Tiers that may register"), queryset=Tier.objects.filter(active=True), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("For an event reserved for some tiers."),
    )
    generate_link = forms.BooleanField(label=_("Generate a Jitsi room"), required=False,
                                       help_text=_("For an online or hybrid event without a link of its own."))
    repeat = forms.ChoiceField(
        label=_("Repeat"), required=False,
        choices=[("", _("Does not repeat")), *Recurrence.choices],
    )
    occurrences = forms.IntegerField(label=_("Number of occurrences"), required=False, min_value=1, max_value=52)
    dates = forms.CharField(
        label=_("Other dates"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For custom dates: one start per line, as 2025-06-30 18:30 (same duration as the first)."),
    )

    class Meta:
        model = Event
        fields = [
            "title", "summary", "description", "cover", "kind", "format", "group", "venue", "address",
            "online_url", "starts_at", "ends_at", "time_zone", "capacity", "registration_deadline", "audience",
            "required_tiers", "restriction_mode", "max_guests", "partners",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "cover": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
            "partners": forms.SelectMultiple(attrs={"size": 5}),
        }
        help_texts = {"description": _("Markdown: **bold**, *italics*, lists and links.")}

    def __init__(self, *args: Any, creating: bool = False, groups: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if groups is not None:
            self.fields["group"].queryset = groups
        self.fields["group"].empty_label = _("The whole community")
        if not creating:
            for name in ("repeat", "occurrences", "dates"):
                del self.fields[name]
        if self.instance.pk:
            zone = ZoneInfo(self.instance.time_zone)
            for name in ("starts_at", "ends_at", "registration_deadline"):
                value = getattr(self.instance, name)
                if value is not None:
                    self.initial[name] = value.astimezone(zone).replace(tzinfo=None)

    def clean_cover(self) -> Any:
        cover = self.cleaned_data.get("cover")
        if cover and hasattr(cover, "content_type"):
            try:
                open_image(cover)
            except ImageRefused as error:
                raise forms.ValidationError(str(error)) from None
        return cover

    def clean_time_zone(self) -> str:
        zone = self.cleaned_data["time_zone"]
        if zone not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Choose a time zone from the list."))
        return zone

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        zone = data.get("time_zone") or settings.TIME_ZONE
        for name in ("starts_at", "ends_at", "registration_deadline"):
            if data.get(name) is not None:
                data[name] = _in_zone(data[name], zone)
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The end must come after the start."))
        if data.get("generate_link"):
            data["online_url"] = ""
        parsed = []
        for line in (data.get("dates") or "").splitlines():
            if not line.strip():
                continue
            try:
                parsed.append(_in_zone(datetime.strptime(line.strip().replace("T", " ")[:16], "%Y-%m-%d %H:%M"), zone))
            except ValueError:
                self.add_error("dates", _("« %(line)s » is not a date and time like 2025-06-30 18:30.")
                               % {"line": line.strip()[:40]})
        data["parsed_dates"] = parsed
        if data.get("repeat") in {Recurrence.WEEKLY, Recurrence.MONTHLY} and not data.get("occurrences"):
            self.add_error("occurrences", _("How many times should it happen?"))
        return data

    def _post_clean(self) -> None:
        # The actions check the substance (dates, capacity against the seats taken) with clear messages;
        # the model's own constraints would only repeat them.
        if not self.errors:
            super()._post_clean()

    def values(self) -> dict[str, Any]:
        skip = {"required_tiers", "partners", "repeat", "occurrences", "dates", "generate_link"}
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields if name not in skip}


def _ticket_label(ticket: TicketType, is_member: bool) -> str:
    from tribu.memberships.money import format_money

    price = ticket.price_for(is_member)
    return f"{ticket.name} — {format_money(price, ticket.currency) if price else _('Free')}"


class RegisterForm(forms.Form):
    """Ticket type, guests and the event's questions; absent fields are simply not asked."""

    def __init__(self, *args: Any, event: Event, tickets: list[TicketType], is_member: bool, **kwargs: Any) -> None:
        from tribu.accounts.custom_fields import form_field
        super().__init__(*args, **kwargs)
        self.event = event
        if len(tickets) > 1:
            self.fields["ticket_type"] = forms.ChoiceField(
                label=_("Ticket"), widget=forms.RadioSelect,
                choices=[(str(t.pk), _ticket_label(t, is_member)) for t in tickets],
            )
        if event.max_guests:
            self.fields["guests"] = forms.IntegerField(label=_("Guests coming with you"), min_value=0,
                                                       max_value=event.max_guests, initial=0, required=False)
        for question in event.questions.all():
            self.fields[f"q_{question.key}"] = form_field(question)

    def answers(self) -> dict[str, Any]:
        return {k[2:]: v for k, v in self.data.items() if k.startswith("q_")} | {
            k[2:]: self.data.getlist(k) for k in self.data if k.startswith("q_") and len(self.data.getlist(k)) > 1
        }


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Message to the registrants"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


class SpeakerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160, required=False)
    email = forms.EmailField(label=_("Or the email of a member"), required=False)
    bio = forms.CharField(label=_("Bio"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label=_("Photo"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}))

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo:
            try:
                open_image(photo)
            except ImageRefused as error:
                raise forms.ValidationError(str(error)) from None
        return photo


class AgendaForm(forms.Form):
    starts_at = LocalDateTimeField(label=_("Time"))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Details"), max_length=500, required=False)


class TicketForm(forms.ModelForm):
    class Meta:
        model = TicketType
        fields = ["name", "price_cents", "member_price_cents", "quantity", "required_tiers"]
        widgets = {"required_tiers": forms.CheckboxSelectMultiple}


class QuestionForm(forms.Form):
    label_fr = forms.CharField(label=_("Question (French)"), max_length=120, required=False)
    label_en = forms.CharField(label=_("Question (English)"), max_length=120, required=False)
    kind = forms.ChoiceField(label=_("Type"), choices=[c for c in CustomFieldKind.choices if c[0] != "file"])
    choices = forms.CharField(label=_("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("One per line: value | Libellé | Label."))
    required = forms.BooleanField(label=_("Required"), required=False)


class ResourceForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=ResourceKind.choices)
    url = forms.URLField(label=_("Link"), required=False, max_length=500)
    file = forms.FileField(label=_("File"), required=False)


class WalkInForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    email = forms.EmailField(label=_("Email"), required=False)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Confirmation code"), max_length=64,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off"}))


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Your rating"), coerce=int, widget=forms.RadioSelect,
                                    choices=[(i, str(i)) for i in range(1, 6)])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}))
