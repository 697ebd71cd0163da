"""Accounts: the member's account and role. Profiles and custom fields come with the members issue."""

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
