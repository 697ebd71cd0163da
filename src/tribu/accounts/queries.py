from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import NoReverseMatch, reverse

from .models import CustomField, CustomFieldValue, Profile, Role, SignupField, Tag, TagKind, User


def role_counts() -> dict[str, int]:
    rows = User.objects.filter(is_active=True).values("role").annotate(n=Count("id"))
    counts = {r.value: 0 for r in Role}
    counts.update({row["role"]: row["n"] for row in rows})
    return counts


def members_for_admin(*, role: str = "", search: str = "") -> QuerySet[User]:
    qs = User.objects.order_by("display_name", "email")
    if role in Role.values:
        qs = qs.filter(role=role)
    if search:
        qs = qs.filter(Q(email__icontains=search) | Q(display_name__icontains=search))
    return qs


# --- profiles -------------------------------------------------------------------------------------

PROFILE_FIELDS_SHOWN = (
    "job_title", "organisation", "bio", "city", "region", "country", "languages", "website", "social_links",
)


def profile_for(user: User) -> Profile:
    """The member's profile (an unsaved empty one when they never filled it), skills and interests
    prefetched."""
    profile = (
        Profile.objects.filter(pk=user.pk).prefetch_related(*_TAG_PREFETCH).first()
    )
    if profile is None:
        profile = Profile(user=user)
        profile._prefetched_objects_cache = {"skills": Tag.objects.none(), "interests": Tag.objects.none()}  # type: ignore[attr-defined]
    profile.user = user
    return profile


_TAG_PREFETCH = (
    Prefetch("skills", queryset=Tag.objects.order_by("name")),
    Prefetch("interests", queryset=Tag.objects.order_by("name")),
)


def member_or_none(owner_id: int) -> User | None:
    return User.objects.select_related("profile", "company_attachment__company").filter(pk=owner_id).first()


def active_custom_fields() -> list[CustomField]:
    return list(CustomField.objects.filter(active=True).order_by("position", "id"))


def custom_values_of(user: Any) -> dict[int, CustomFieldValue]:
    if not getattr(user, "pk", None):
        return {}
    return {v.field_id: v for v in CustomFieldValue.objects.filter(user_id=user.pk)}


def _company_of(user: User) -> Any:
    try:
        attachment = user.company_attachment  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None
    return attachment.company if attachment is not None else None


def company_url(company: Any) -> str:
    if company is None:
        return ""
    try:
        return reverse("companies:detail", args=[company.slug])
    except NoReverseMatch:
        return ""


@dataclass
class CustomAnswer:
    field: CustomField
    value: Any
    text: str
    file_url: str = ""


@dataclass
class VisibleProfile:
    """What ``viewer`` may see of ``user``'s profile: standard fields in ``fields`` (absent when not
    visible or empty), skills and interests, company, and the custom answers."""

    user: User
    profile: Profile
    fields: dict[str, Any]
    skills: list[Tag] | None
    interests: list[Tag] | None
    photo_url: str
    thumbnail_url: str
    company: Any
    company_url: str
    custom: list[CustomAnswer]
    is_self: bool

    @property
    def bio_html(self) -> Any:
        from tribu.core.markdown import render_markdown

        return render_markdown(self.fields.get("bio", ""))

    @property
    def location(self) -> str:
        return ", ".join(self.fields[f] for f in ("city", "region", "country") if self.fields.get(f))

    @property
    def social(self) -> list[tuple[str, str]]:
        from .profile_fields import SOCIAL_NETWORKS

        links = self.fields.get("social_links") or {}
        return [(label, links[key]) for key, label in SOCIAL_NETWORKS if links.get(key)]

    @property
    def language_names(self) -> list[str]:
        from .profile_fields import LANGUAGE_CHOICES

        names = dict(LANGUAGE_CHOICES)
        return [names.get(code, code) for code in self.fields.get("languages") or []]


def visible_profile(viewer: Any, user: User, *, fields: list[CustomField] | None = None) -> VisibleProfile:
    """Every field of ``user``'s profile that ``policies`` lets ``viewer`` see (5 queries at most,
    whatever the number of tags and custom fields)."""
    from . import custom_fields as cf
    from .policies import can_see_custom_field, can_see_field

    profile = profile_for(user)
    shown: dict[str, Any] = {}
    for name in PROFILE_FIELDS_SHOWN:
        value = getattr(profile, name)
        if value and can_see_field(viewer, profile, name):
            shown[name] = value
    skills = list(profile.skills.all()) if can_see_field(viewer, profile, "skills") else None
    interests = list(profile.interests.all()) if can_see_field(viewer, profile, "interests") else None
    photo_url = thumbnail_url = ""
    if profile.photo and can_see_field(viewer, profile, "photo"):
        photo_url = profile.photo.url
        thumbnail_url = profile.photo_thumbnail.url if profile.photo_thumbnail else photo_url
    company = _company_of(user) if can_see_field(viewer, profile, "company") else None
    answers: list[CustomAnswer] = []
    custom_fields = fields if fields is not None else active_custom_fields()
    visible = [f for f in custom_fields if f.active and can_see_custom_field(viewer, f, user)]
    if visible:
        values = custom_values_of(user)
        for field in visible:
            stored = values.get(field.pk)
            if stored is None or cf.is_empty(stored.value):
                continue
            file_url = ""
            if field.kind == "file" and stored.file:
                file_url = reverse("profile:custom_file", args=[user.pk, field.key])
            answers.append(CustomAnswer(field, stored.value, cf.display(field, stored.value), file_url))
    return VisibleProfile(
        user=user,
        profile=profile,
        fields=shown,
        skills=skills,
        interests=interests,
        photo_url=photo_url,
        thumbnail_url=thumbnail_url,
        company=company,
        company_url=company_url(company),
        custom=answers,
        is_self=bool(getattr(viewer, "pk", None)) and viewer.pk == user.pk,
    )


def tag_suggestions(kind: str, query: str, *, limit: int = 10) -> list[str]:
    """Existing tags of ``kind`` whose name or slug starts with (then contains) ``query``, most used first."""
    from django.utils.text import slugify

    if kind not in TagKind.values:
        return []
    qs = Tag.objects.filter(kind=kind)
    text = " ".join(query.split())[:60]
    if text:
        slug = slugify(text)
        qs = qs.filter(Q(name__icontains=text) | Q(slug__contains=slug) if slug else Q(name__icontains=text))
    related = "skilled_profiles" if kind == TagKind.SKILL else "interested_profiles"
    rows = qs.annotate(uses=Count(related)).order_by("-uses", "name").values_list("name", flat=True)[:limit]
    names = list(rows)
    if text:
        folded = text.casefold()
        names.sort(key=lambda n: (not n.casefold().startswith(folded),))
    return names


# --- signup form and completeness -----------------------------------------------------------------


@dataclass
class SignupItem:
    standard: str = ""
    custom_field: CustomField | None = None
    required: bool = False

    @property
    def name(self) -> str:
        return self.standard or f"cf_{self.custom_field.key}"  # type: ignore[union-attr]


def signup_items() -> list[SignupItem]:
    """The questions of the signup form after the name, in order (one query)."""
    from .profile_fields import SIGNUP_STANDARD

    items = []
    for row in SignupField.objects.select_related("custom_field").order_by("position", "id"):
        if row.custom_field_id:
            field = row.custom_field
            if field is None or not field.active or field.kind == "file":
                continue
            items.append(SignupItem(custom_field=field, required=field.required))
        elif row.standard in SIGNUP_STANDARD:
            items.append(SignupItem(standard=row.standard, required=row.required))
    return items


def required_standard_fields() -> list[str]:
    from .profile_fields import SIGNUP_STANDARD

    names = SignupField.objects.filter(required=True).exclude(standard="").values_list("standard", flat=True)
    return [n for n in names if n in SIGNUP_STANDARD]


def _filled(profile: Profile, name: str) -> bool:
    if name in {"skills", "interests"}:
        return bool(getattr(profile, name).all()) if profile.pk else False
    if name == "photo":
        return bool(profile.photo)
    return bool(getattr(profile, name))


@dataclass
class MissingRequired:
    standard: list[str] = dc_field(default_factory=list)
    custom: list[CustomField] = dc_field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.standard or self.custom)


def missing_required(user: User) -> MissingRequired:
    """The fields the community requires that ``user`` has not filled (asked on ``profile:complete``)."""
    from . import custom_fields as cf

    missing = MissingRequired()
    required_custom = list(CustomField.objects.filter(active=True, required=True).order_by("position", "id"))
    required_standard = required_standard_fields()
    if not required_custom and not required_standard:
        return missing
    profile = profile_for(user)
    missing.standard = [n for n in required_standard if not _filled(profile, n)]
    if required_custom:
        values = custom_values_of(user)
        for f in required_custom:
            stored = values.get(f.pk)
            if stored is None or (cf.is_empty(stored.value) and not stored.file):
                missing.custom.append(f)
    return missing


COMPLETENESS_STANDARD = (
    "photo", "job_title", "organisation", "bio", "skills", "interests", "city", "languages", "website",
)


@dataclass
class Missing:
    key: str
    label: str
    url: str


@dataclass
class Completeness:
    percent: int
    missing: list[Missing]
    total: int

    @property
    def complete(self) -> bool:
        return not self.missing


def completeness(user: User, *, profile: Profile | None = None, fields: list[CustomField] | None = None,
                 values: dict[int, CustomFieldValue] | None = None) -> Completeness:
    """How much of their profile ``user`` filled: a percentage and what is missing, each with a link
    to its place on the edit page. Counts the standard fields above plus the custom fields that are
    required or asked at signup."""
    from . import custom_fields as cf
    from .profile_fields import label_of

    profile = profile if profile is not None else profile_for(user)
    fields = fields if fields is not None else active_custom_fields()
    counted = [f for f in fields if f.active and (f.required or f.on_signup)]
    values = values if values is not None else (custom_values_of(user) if counted else {})
    edit = reverse("profile:edit")
    missing = [Missing(n, label_of(n), f"{edit}#id_{n}") for n in COMPLETENESS_STANDARD if not _filled(profile, n)]
    for f in counted:
        stored = values.get(f.pk)
        if stored is None or (cf.is_empty(stored.value) and not stored.file):
            missing.append(Missing(f"cf_{f.key}", f.label, f"{edit}#id_cf_{f.key}"))
    total = len(COMPLETENESS_STANDARD) + len(counted)
    percent = round(100 * (total - len(missing)) / total) if total else 100
    return Completeness(percent=percent, missing=missing, total=total)


def custom_fields_for_admin() -> list[tuple[CustomField, int]]:
    """Every custom field (archived last) with how many members answered it."""
    rows = CustomField.objects.annotate(answers=Count("values")).order_by("-active", "position", "id")
    return [(f, f.answers) for f in rows]


def choice_usage(field: CustomField, values: list[str]) -> dict[str, int]:
    """How many members hold each of ``values`` in their answer to a choice field."""
    counts = dict.fromkeys(values, 0)
    if not values:
        return counts
    for stored in CustomFieldValue.objects.filter(field=field).values_list("value", flat=True):
        items = stored if isinstance(stored, list) else [stored]
        for item in items:
            if str(item) in counts:
                counts[str(item)] += 1
    return counts
