"""Groups: sub-communities (clubs, commissions, committees, local chapters…), nested at any depth.

- ``GroupType``: defined by admins, with an icon and a colour.
- ``Group``: a node of the tree. ``path`` is the materialised path of ids ("000001.000004.") so a
  whole subtree or every ancestor is one indexed query whatever the depth. ``effective_visibility``
  and ``effective_guests`` are the strictest of the group's own setting and its ancestors' (kept up to
  date by the actions that change a group's visibility or parent), so a private parent's public
  sub-group stays private and a listing needs no recursive join.
- ``GroupMembership`` (owner / animator / member, with the member's notification level),
  ``JoinRequest`` (moderated groups, with answers to the group's questions), ``GroupInvitation``
  (hashed token, expiry, revocation), ``MembershipRule`` (automatic membership on member attributes),
  ``CreationPolicy`` (one row) and ``CreationRequest``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tribu.memberships.models import TierRestricted

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour such as #1f6feb."))
PATH_WIDTH = 8  # digits per path segment: ids up to 99,999,999


class Icon(models.TextChoices):
    USERS = "users", _("People")
    STAR = "star", _("Star")
    FLAG = "flag", _("Flag")
    PIN = "pin", _("Map pin")
    BRIEFCASE = "briefcase", _("Briefcase")
    LIGHTBULB = "lightbulb", _("Light bulb")
    GAVEL = "gavel", _("Gavel")
    HEART = "heart", _("Heart")


ICON_GLYPHS = {
    "users": "👥", "star": "★", "flag": "⚑", "pin": "📍", "briefcase": "💼", "lightbulb": "💡", "gavel": "⚖",
    "heart": "♥",
}


class GroupType(models.Model):
    name_fr = models.CharField(_("name (French)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    icon = models.CharField(_("icon"), max_length=16, choices=Icon.choices, default=Icon.USERS)
    colour = models.CharField(_("colour"), max_length=7, default="#1f5fbf", validators=[colour_validator])
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("group type")
        verbose_name_plural = _("group types")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        from tribu.core.i18n_fields import localized

        return localized(self, "name")

    @property
    def glyph(self) -> str:
        return ICON_GLYPHS.get(self.icon, "")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public: any member sees it and joins in one click")
    MODERATED = "moderated", _("Moderated: members see it and ask to join")
    PRIVATE = "private", _("Private: invitation only, hidden from non-members")


STRICTNESS = {Visibility.PUBLIC: 0, Visibility.MODERATED: 1, Visibility.PRIVATE: 2}


def stricter(a: str, b: str) -> str:
    return a if STRICTNESS[a] >= STRICTNESS[b] else b


class Group(TierRestricted):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    type = models.ForeignKey(
        GroupType, null=True, blank=True, on_delete=models.SET_NULL, related_name="groups", verbose_name=_("type")
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("parent group"),
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    visibility = models.CharField(_("visibility"), max_length=16, choices=Visibility.choices,
                                  default=Visibility.PUBLIC)
    effective_visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC,
                                            editable=False)
    open_to_guests = models.BooleanField(_("open to guests"), default=False)
    effective_guests = models.BooleanField(default=False, editable=False)
    summary = models.CharField(_("summary"), max_length=240, blank=True)
    purpose = models.TextField(_("purpose"), blank=True, help_text=_("Markdown."))
    rules = models.TextField(_("rules"), blank=True, help_text=_("Markdown."))
    welcome_message = models.TextField(
        _("welcome message"), blank=True,
        help_text=_("Posted when someone joins; {member} is replaced by a mention of the newcomer."),
    )
    join_questions = models.JSONField(_("questions asked to people who ask to join"), default=list, blank=True)
    member_count = models.PositiveIntegerField(default=0, editable=False)
    archived_at = models.DateTimeField(_("archived on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["effective_visibility", "name"], name="group_visibility_name"),
            models.Index(fields=["type", "name"], name="group_type_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(visibility__in=["public", "moderated", "private"]), name="group_visibility_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(effective_visibility__in=["public", "moderated", "private"]),
                name="group_effective_visibility_valid",
            ),
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="group_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def ancestor_ids(self) -> list[int]:
        """The ids of every ancestor, root first (from the path: no query)."""
        parts = [int(p) for p in self.path.split(".") if p]
        return parts[:-1]

    def welcome_text(self) -> str:
        return self.welcome_message


def segment(pk: int) -> str:
    return f"{pk:0{PATH_WIDTH}d}."


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ANIMATOR = "animator", _("Animator")
    MEMBER = "member", _("Member")


LEADING_ROLES = (Role.OWNER, Role.ANIMATOR)


class NotificationLevel(models.TextChoices):
    ALL = "all", _("All activity")
    MENTIONS = "mentions", _("Mentions only")
    DIGEST = "digest", _("Digest email")
    MUTE = "mute", _("Mute")


class Source(models.TextChoices):
    MANUAL = "manual", _("Joined or added")
    INVITATION = "invitation", _("Invitation")
    REQUEST = "request", _("Approved request")
    RULE = "rule", _("Automatic rule")


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    notification_level = models.CharField(
        _("notifications"), max_length=16, choices=NotificationLevel.choices, default=NotificationLevel.ALL
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="groupmembership_unique"),
            models.CheckConstraint(condition=models.Q(role__in=["owner", "animator", "member"]),
                                   name="groupmembership_role_valid"),
            models.CheckConstraint(
                condition=models.Q(notification_level__in=["all", "mentions", "digest", "mute"]),
                name="groupmembership_level_valid",
            ),
        ]
        indexes = [models.Index(fields=["user", "group"], name="groupmembership_user")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.group_id}:{self.role}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


class JoinRequest(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_join_requests")
    answers = models.JSONField(default=list, blank=True)  # [{"question": ..., "answer": ...}]
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    response = models.TextField(_("message to the member"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"], condition=models.Q(status="pending"), name="joinrequest_one_pending"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "approved", "declined", "cancelled"]),
                name="joinrequest_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}→{self.group_id}:{self.status}"


class GroupInvitation(models.Model):
    """An email invitation into a group; the secret is stored hashed."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("group invitation")
        verbose_name_plural = _("group invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="groupinvitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.group_id}"

    def state(self, now=None) -> str:
        from django.utils import timezone

        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "open"


class RuleKind(models.TextChoices):
    TIER = "tier", _("Membership tier")
    COMPANY = "company", _("Member company")
    REGION = "region", _("Region")
    CITY = "city", _("City")
    CUSTOM_FIELD = "custom_field", _("Profile field")


class MembershipRule(models.Model):
    """Members matching this rule are added to the group automatically (and removed when they stop
    matching, if they were added by a rule). A group with several rules takes members matching any."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="membership_rules")
    kind = models.CharField(_("attribute"), max_length=16, choices=RuleKind.choices)
    tier = models.ForeignKey("memberships.Tier", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("tier"))
    company = models.ForeignKey("companies.Company", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+", verbose_name=_("company"))
    field = models.ForeignKey("accounts.CustomField", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+", verbose_name=_("profile field"))
    value = models.CharField(_("value"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("automatic membership rule")
        verbose_name_plural = _("automatic membership rules")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="tier", tier__isnull=False)
                    | models.Q(kind="company", company__isnull=False)
                    | (models.Q(kind__in=["region", "city"]) & ~models.Q(value=""))
                    | (models.Q(kind="custom_field", field__isnull=False) & ~models.Q(value=""))
                ),
                name="membershiprule_complete",
            )
        ]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.kind}"


class CreationMode(models.TextChoices):
    ADMINS = "admins", _("The community team only")
    TIERS = "tiers", _("Members of chosen tiers")
    APPROVAL = "approval", _("Any member, with the team's approval")


class CreationPolicy(TierRestricted):
    """Who may create groups (one row, pk=1). ``required_tiers`` are the tiers of the TIERS mode."""

    mode = models.CharField(_("who may create groups"), max_length=16, choices=CreationMode.choices,
                            default=CreationMode.ADMINS)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("group creation policy")
        verbose_name_plural = _("group creation policy")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="groups_creationpolicy_singleton")]

    def __str__(self) -> str:
        return self.mode


class CreationRequest(models.Model):
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    type = models.ForeignKey(GroupType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("type"))
    parent = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("parent group"))
    visibility = models.CharField(_("visibility"), max_length=16, choices=Visibility.choices,
                                  default=Visibility.PUBLIC)
    purpose = models.TextField(_("purpose"))
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    response = models.TextField(_("message to the member"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("group creation request")
        verbose_name_plural = _("group creation requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name
