"""Accounts: the member's account and role, their profile, skill and interest tags, and the custom
profile fields admins define."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Community-wide roles, from most to least powerful. ``policies`` decides what each may do."""

    ADMIN = "admin", _("Administrator")
    STAFF = "staff", _("Community team")
    ANIMATOR = "animator", _("Animator")
    MEMBER = "member", _("Member")
    GUEST = "guest", _("Guest")


def role_label(code: str) -> str:
    """The translated name of a role code ("animator" → "Animateur·rice"); unknown codes as they are."""
    return str(Role(code).label) if code in Role.values else code


ROLE_RANK = {Role.ADMIN: 50, Role.STAFF: 40, Role.ANIMATOR: 30, Role.MEMBER: 20, Role.GUEST: 10}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER, db_index=True)
    language = models.CharField(
        _("language"), max_length=8, blank=True, help_text=_("Empty: the community's default language.")
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    charter_accepted_at = models.DateTimeField(_("charter accepted on"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="accounts_user_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.email.split("@")[0]

    @property
    def initials(self) -> str:
        parts = self.name.replace("-", " ").split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    def has_role_at_least(self, role: str) -> bool:
        return ROLE_RANK.get(Role(self.role), 0) >= ROLE_RANK[Role(role)]


class Visibility(models.TextChoices):
    """Who may read a profile field. ``policies.can_see_field`` applies it."""

    EVERYONE = "everyone", _("Everyone")
    MEMBERS = "members", _("Members")
    STAFF = "staff", _("Community team only")


class TagKind(models.TextChoices):
    SKILL = "skill", _("Skill")
    INTEREST = "interest", _("Interest")


class Tag(models.Model):
    """A skill or an interest, shared between members so the directory can filter and count them."""

    kind = models.CharField(_("kind"), max_length=16, choices=TagKind.choices)
    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=80, allow_unicode=False)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["kind", "slug"], name="accounts_tag_unique")]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """What a member tells the community about themselves. One row per member (created on demand)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="profile")
    photo = models.ImageField(_("photo"), upload_to="profiles/", blank=True)
    photo_thumbnail = models.ImageField(_("photo thumbnail"), upload_to="profiles/thumbs/", blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    organisation = models.CharField(_("organisation"), max_length=160, blank=True)
    bio = models.TextField(_("bio"), blank=True, help_text=_("Markdown."))
    skills = models.ManyToManyField(Tag, blank=True, related_name="skilled_profiles", verbose_name=_("skills"))
    interests = models.ManyToManyField(
        Tag, blank=True, related_name="interested_profiles", verbose_name=_("interests")
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True, help_text=_("Language codes."))
    website = models.URLField(_("website"), blank=True)
    social_links = models.JSONField(_("social links"), default=dict, blank=True)
    # Per optional field, who may see it: {"city": "staff", ...}; a field not listed uses its default.
    field_visibility = models.JSONField(_("field visibility"), default=dict, blank=True)
    hidden_from_directory = models.BooleanField(_("hidden from the directory"), default=False)
    last_active_at = models.DateTimeField(_("last active"), null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return str(self.user)


class CustomFieldKind(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes/no")
    URL = "url", _("Web address")
    FILE = "file", _("File")


class CustomField(models.Model):
    """A profile field defined by admins, with its label in both languages."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=CustomFieldKind.choices)
    label_fr = models.CharField(_("label (French)"), max_length=120)
    label_en = models.CharField(_("label (English)"), max_length=120, blank=True)
    help_fr = models.CharField(_("help text (French)"), max_length=300, blank=True)
    help_en = models.CharField(_("help text (English)"), max_length=300, blank=True)
    # [{"value": "bretagne", "label_fr": "Bretagne", "label_en": "Brittany"}, ...] for the choice kinds.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    on_signup = models.BooleanField(_("shown at signup"), default=False)
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    directory_filter = models.BooleanField(_("usable as a directory filter"), default=False)
    segmentable = models.BooleanField(_("usable in segments"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in CustomFieldKind]), name="accounts_customfield_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(visibility__in=[v.value for v in Visibility]),
                name="accounts_customfield_visibility",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        from tribu.core.i18n_fields import localized

        return localized(self, "label") or self.key

    @property
    def help_text(self) -> str:
        from tribu.core.i18n_fields import localized

        return localized(self, "help")


class CustomFieldValue(models.Model):
    """One member's answer to one custom field. ``value`` holds the typed answer (text, number, ISO
    date, bool, a choice value or a list of them); ``file`` holds an uploaded file for the file kind."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="custom_values")
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="values")
    value = models.JSONField(null=True, blank=True)
    file = models.FileField(upload_to="custom-fields/", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("custom field value")
        verbose_name_plural = _("custom field values")
        constraints = [models.UniqueConstraint(fields=["user", "field"], name="accounts_customvalue_unique")]
        indexes = [models.Index(fields=["field", "user"], name="customvalue_field_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.field_id}"


class SignupField(models.Model):
    """One question of the signup form after the name: a standard profile field (``standard``) or a
    custom field (``custom_field``), in ``position`` order. ``required`` applies to standard fields;
    a custom field's own ``required`` flag says whether it is required (everywhere, signup included)."""

    standard = models.CharField(_("standard field"), max_length=32, blank=True)
    custom_field = models.OneToOneField(
        CustomField, on_delete=models.CASCADE, null=True, blank=True, related_name="signup_entry"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        verbose_name = _("signup form field")
        verbose_name_plural = _("signup form fields")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(standard="") & models.Q(custom_field__isnull=False))
                | (~models.Q(standard="") & models.Q(custom_field__isnull=True)),
                name="accounts_signupfield_one_kind",
            ),
            models.UniqueConstraint(
                fields=["standard"], condition=~models.Q(standard=""), name="accounts_signupfield_standard_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.standard or str(self.custom_field)
