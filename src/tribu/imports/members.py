"""The member import engine: validate every row in Python, plan each chunk against what the database
holds (create / update / unchanged / error), then write the chunk with bulk statements inside one
savepoint. If the database refuses a chunk, that chunk is replayed row by row, each row in its own
savepoint, so one bad row never takes others down and never leaves a half-written member.

Upsert by email: re-importing the same file finds every row "unchanged" and writes nothing.
An empty cell leaves the member's current value alone (an import never clears data).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tribu.accounts.models import CustomField, CustomFieldValue, Profile, Role, Tag, TagKind, User
from tribu.companies.models import Company, CompanyMember
from tribu.core.models import Activity
from tribu.memberships.models import CURRENT_STATUSES, Membership, MembershipStatus, Tier

from . import fields as F

CHUNK = 500
USER_FIELDS = ("first_name", "last_name", "display_name", "role", "language")
PROFILE_FIELDS = ("job_title", "organisation", "city", "region", "country", "website", "bio")
MAX_LENGTHS = {
    "first_name": 150, "last_name": 150, "display_name": 150, "job_title": 120, "organisation": 160,
    "city": 100, "region": 100, "country": 100, "website": 200,
}
ROLE_NAMES = {
    "admin": Role.ADMIN, "administrateur": Role.ADMIN, "administratrice": Role.ADMIN, "administrator": Role.ADMIN,
    "staff": Role.STAFF, "equipe": Role.STAFF, "community team": Role.STAFF, "team": Role.STAFF,
    "animator": Role.ANIMATOR, "animateur": Role.ANIMATOR, "animatrice": Role.ANIMATOR, "animateur·rice": Role.ANIMATOR,
    "moderator": Role.ANIMATOR, "member": Role.MEMBER, "membre": Role.MEMBER, "guest": Role.GUEST,
    "invite": Role.GUEST, "invitee": Role.GUEST, "invite·e": Role.GUEST,
}
LANGUAGE_NAMES = {"fr": "fr", "francais": "fr", "french": "fr", "en": "en", "anglais": "en", "english": "en"}
TEAM_ROLES = {Role.ADMIN, Role.STAFF}


@dataclass
class Row:
    line: int
    email: str = ""
    user: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)  # kind → names
    custom: dict[int, Any] = field(default_factory=dict)  # field id → value
    tier_id: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    company: tuple[str, str] | None = None  # ("siret" | "name", value)
    company_id: int | None = None  # resolved when planning
    errors: list[str] = field(default_factory=list)
    status: str = ""  # create | update | unchanged | error
    changed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Counts:
    create: int = 0
    update: int = 0
    unchanged: int = 0
    error: int = 0

    def add(self, rows: Iterable[Row]) -> None:
        for row in rows:
            setattr(self, row.status, getattr(self, row.status) + 1)

    def as_dict(self) -> dict[str, int]:
        return {"create": self.create, "update": self.update, "unchanged": self.unchanged, "error": self.error}


def _membership_status(starts_on: dt.date | None, ends_on: dt.date | None, today: dt.date) -> str:
    if ends_on is not None and ends_on < today:
        return MembershipStatus.EXPIRED
    if starts_on is not None and starts_on > today:
        return MembershipStatus.PENDING
    return MembershipStatus.ACTIVE


class MemberImporter:
    """``validate(rows)`` then ``plan(chunk)`` (reads only: the preview) or ``run(rows)`` (writes)."""

    def __init__(self, actor: Any, mapping: dict[str, str], *, job_id: int | None = None, invite: bool = False):
        self.actor = actor
        self.job_id = job_id
        self.invite = invite
        self.actor_is_admin = getattr(actor, "role", None) == Role.ADMIN
        self.columns = {int(index): target for index, target in mapping.items() if target}
        self.custom_fields = {f.key: f for f in CustomField.objects.filter(active=True)}
        self.tiers: dict[str, int] = {}
        for tier in Tier.objects.all():
            for name in (tier.slug, tier.name_fr, tier.name_en):
                if name:
                    self.tiers.setdefault(F.normalise(name), tier.pk)
        self.today = timezone.localdate()

    # --- 1. Validation (no database) ---------------------------------------------------------------

    def file_errors(self) -> list[str]:
        targets = list(self.columns.values())
        errors = []
        if "email" not in targets:
            errors.append(_("Choose the column that holds the email address: it identifies each member."))
        duplicated = {t for t in targets if targets.count(t) > 1}
        for target in sorted(duplicated):
            errors.append(_("Two columns feed the same field « %(field)s ».") % {"field": target})
        return errors

    def validate(self, rows: list[list[Any]], first_line: int = 2) -> list[Row]:
        seen: dict[str, int] = {}
        result = []
        for offset, cells in enumerate(rows):
            row = self.validate_row(cells, first_line + offset)
            if row.email:
                if row.email in seen:
                    row.errors.append(_("duplicate of line %(line)s (same email)") % {"line": seen[row.email]})
                else:
                    seen[row.email] = row.line
            if row.errors:
                row.status = "error"
            result.append(row)
        return result

    def validate_row(self, cells: list[Any], line: int) -> Row:
        row = Row(line=line)
        for index, target in self.columns.items():
            value = cells[index] if index < len(cells) else ""
            if isinstance(value, str):
                value = value.strip()
                if value[:2] in ("'=", "'+", "'-", "'@"):
                    value = value[1:]  # the apostrophe our exports put before formula-like text
            if value in ("", None):
                if target.startswith("cf:"):
                    cf = self.custom_fields.get(target[3:])
                    if cf is not None and cf.required:
                        row.errors.append(_("%(field)s is required") % {"field": cf.label})
                continue
            try:
                self._set(row, target, value)
            except ValueError as exc:
                row.errors.append(str(exc))
        if not row.email and not any("email" in e for e in row.errors):
            row.errors.insert(0, _("the email address is missing"))
        if row.starts_on and row.ends_on and row.ends_on < row.starts_on:
            row.errors.append(_("the membership ends before it starts"))
        return row

    def _set(self, row: Row, target: str, value: Any) -> None:
        if target == "email":
            row.email = F.parse_email(str(value))
        elif target in USER_FIELDS:
            text = str(value)
            if target == "role":
                role = ROLE_NAMES.get(F.normalise(text)) or ROLE_NAMES.get(text.strip().lower())
                if role is None:
                    raise ValueError(_("unknown role « %(value)s »") % {"value": text})
                if role in TEAM_ROLES and not self.actor_is_admin:
                    raise ValueError(_("only an administrator can give the role « %(value)s »") % {"value": text})
                text = role
            elif target == "language":
                code = LANGUAGE_NAMES.get(F.normalise(text))
                if code is None:
                    raise ValueError(_("unknown language « %(value)s »") % {"value": text})
                text = code
            elif len(text) > MAX_LENGTHS[target]:
                raise ValueError(_("%(field)s is too long") % {"field": target})
            row.user[target] = text
        elif target in PROFILE_FIELDS:
            text = F.parse_url(str(value)) if target == "website" else str(value)
            if target in MAX_LENGTHS and len(text) > MAX_LENGTHS[target]:
                raise ValueError(_("%(field)s is too long") % {"field": target})
            row.profile[target] = text
        elif target in ("skills", "interests"):
            names = F.split_list(str(value))
            if names:
                row.tags[TagKind.SKILL if target == "skills" else TagKind.INTEREST] = names
        elif target == "tier":
            tier_id = self.tiers.get(F.normalise(str(value)))
            if tier_id is None:
                raise ValueError(_("unknown membership tier « %(value)s »") % {"value": value})
            row.tier_id = tier_id
        elif target == "starts_on":
            row.starts_on = F.parse_date(value)
        elif target == "ends_on":
            row.ends_on = F.parse_date(value)
        elif target == "company":
            text = str(value).strip()
            digits = text.replace(" ", "")
            row.company = ("siret", digits) if digits.isdigit() and len(digits) == 14 else ("name", text)
        elif target.startswith("cf:"):
            cf = self.custom_fields.get(target[3:])
            if cf is not None:
                row.custom[cf.pk] = F.parse_custom(cf, value)

    # --- 2. Planning (reads) ----------------------------------------------------------------------

    def plan(self, rows: list[Row]) -> dict[str, Any]:
        """Compare valid rows with the database; sets ``status`` and ``changed``; returns the state read."""
        rows = [r for r in rows if r.ok]
        emails = [r.email for r in rows]
        users = {u.email: u for u in User.objects.filter(email__in=emails).select_related("profile")}
        from allauth.account.models import EmailAddress

        address_owner = dict(EmailAddress.objects.filter(email__in=emails).values_list("email", "user_id"))
        ids = [u.pk for u in users.values()]
        tags: dict[tuple[int, str], set[str]] = {}
        for kind, through in ((TagKind.SKILL, Profile.skills.through), (TagKind.INTEREST, Profile.interests.through)):
            for profile_id, slug in through.objects.filter(profile_id__in=ids).values_list("profile_id", "tag__slug"):
                tags.setdefault((profile_id, kind), set()).add(slug)
        custom = {
            (v.user_id, v.field_id): v
            for v in CustomFieldValue.objects.filter(user_id__in=ids, field_id__in={f for r in rows for f in r.custom})
        }
        memberships: dict[int, list[Membership]] = {}
        for m in Membership.objects.filter(user_id__in=ids):
            memberships.setdefault(m.user_id, []).append(m)
        attachments = {a.user_id: a for a in CompanyMember.objects.filter(user_id__in=ids)}
        companies = self._companies([r.company for r in rows if r.company])

        for row in rows:
            user = users.get(row.email)
            owner = address_owner.get(row.email)
            if owner is not None and (user is None or owner != user.pk):
                row.errors.append(_("this address belongs to another member"))
            if row.company is not None:
                row.company_id = companies.get(row.company)
                if row.company_id is None:
                    row.errors.append(_("unknown company « %(value)s » (import companies first)")
                                      % {"value": row.company[1]})
            if user is None:
                if (row.starts_on or row.ends_on) and row.tier_id is None:
                    row.errors.append(_("a membership tier is needed with membership dates"))
                row.status = "error" if row.errors else "create"
                continue
            row.changed = self._diff(row, user, tags, custom, memberships.get(user.pk, []), attachments.get(user.pk))
            if row.errors:
                row.status = "error"
            else:
                row.status = "update" if row.changed else "unchanged"
        return {"users": users, "custom": custom, "memberships": memberships, "attachments": attachments,
                "tags": tags}

    def _companies(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        sirets = {v for k, v in keys if k == "siret"}
        names = {v.lower() for k, v in keys if k == "name"}
        found: dict[tuple[str, str], int] = {}
        if sirets:
            for pk, siret in Company.objects.filter(siret__in=sirets).values_list("pk", "siret"):
                found.setdefault(("siret", siret), pk)
        if names:
            by_lower: dict[str, int] = {}
            for pk, name in Company.objects.filter(name__in={v for k, v in keys if k == "name"}).values_list(
                "pk", "name"
            ):
                by_lower.setdefault(name.lower(), pk)
            missing = names - set(by_lower)
            if missing:  # case differences: one more query over the few names not matched exactly
                from django.db.models.functions import Lower

                for pk, lower in (
                    Company.objects.annotate(lname=Lower("name")).filter(lname__in=missing).values_list("pk", "lname")
                ):
                    by_lower.setdefault(lower, pk)
            for k, v in keys:
                if k == "name" and v.lower() in by_lower:
                    found[(k, v)] = by_lower[v.lower()]
        return found

    def _desired_membership(self, row: Row, existing: list[Membership]) -> tuple[str, Membership | None]:
        """("none" | "same" | "update" | "create", the membership to update)."""
        current = next((m for m in existing if m.status in CURRENT_STATUSES), None)
        if row.tier_id is None:
            if not (row.starts_on or row.ends_on):
                return "none", None
            if current is None:
                return "error", None
            same = (row.starts_on in (None, current.starts_on)) and (row.ends_on in (None, current.ends_on))
            return ("same" if same else "update"), current
        for m in existing:
            if m.tier_id != row.tier_id:
                continue
            if row.starts_on is None and row.ends_on is None and m.status in CURRENT_STATUSES:
                return "same", m
            if m.starts_on == (row.starts_on or m.starts_on) and m.ends_on == row.ends_on and (
                row.starts_on is not None or m.status in CURRENT_STATUSES
            ):
                return "same", m
        status = _membership_status(row.starts_on, row.ends_on, self.today)
        if status in CURRENT_STATUSES and current is not None:
            return "update", current
        return "create", None

    def _diff(self, row: Row, user: User, tags: dict, custom: dict, memberships: list, attachment: Any) -> list[str]:
        changed = []
        for name, value in row.user.items():
            if getattr(user, name) != value:
                if name == "role" and not self.actor_is_admin:
                    row.errors.append(_("only an administrator can change a role"))
                    continue
                if name == "role" and user.pk == getattr(self.actor, "pk", None):
                    row.errors.append(_("you cannot change your own role"))
                    continue
                changed.append(name)
        profile = getattr(user, "profile", None)
        for name, value in row.profile.items():
            if profile is None or getattr(profile, name) != value:
                changed.append(name)
        for kind, names in row.tags.items():
            wanted = {slugify(n) for n in names} - {""}
            if tags.get((user.pk, kind), set()) != wanted:
                changed.append("skills" if kind == TagKind.SKILL else "interests")
        for field_id, value in row.custom.items():
            current = custom.get((user.pk, field_id))
            if current is None or current.value != value:
                changed.append(f"cf:{field_id}")
        action, _m = self._desired_membership(row, memberships)
        if action == "error":
            row.errors.append(_("a membership tier is needed with membership dates"))
        elif action in {"update", "create"}:
            changed.append("membership")
        if row.company_id is not None and (attachment is None or attachment.company_id != row.company_id):
            changed.append("company")
        return changed

    # --- 3. Writing ---------------------------------------------------------------------------------

    def run(
        self, rows: list[Row], progress: Callable[[int, Counts, list[Row]], None] | None = None
    ) -> tuple[Counts, list[Row]]:
        """Apply valid rows chunk by chunk; returns the counts and every row with its outcome."""
        counts = Counts()
        counts.add(r for r in rows if not r.ok)
        done = 0
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            valid = [r for r in chunk if r.ok]
            self.apply_chunk(valid)
            counts.add(valid)
            done += len(chunk)
            if progress is not None:
                progress(done, counts, chunk)
        return counts, rows

    def apply_chunk(self, rows: list[Row]) -> None:
        if not rows:
            return
        try:
            with transaction.atomic():
                self._write(rows)
        except DatabaseError:
            for row in rows:
                row.errors, row.status, row.changed = [], "", []
                try:
                    with transaction.atomic():
                        self._write([row])
                except DatabaseError as exc:
                    row.errors = [_("the database refused this row: %(error)s") % {"error": str(exc)[:200]}]
                    row.status = "error"

    def _write(self, rows: list[Row]) -> None:
        state = self.plan(rows)
        for row in rows:
            if row.errors:
                row.status = "error"
        todo = [r for r in rows if r.status in {"create", "update"}]
        if not todo:
            return
        now = timezone.now()
        users: dict[str, User] = state["users"]
        from allauth.account.models import EmailAddress

        # Users: create the new ones (one INSERT), update the changed ones (one UPDATE per field set).
        new_users = []
        for row in todo:
            if row.status != "create":
                continue
            role = row.user.get("role", Role.MEMBER)
            values = {k: v for k, v in row.user.items() if k != "role"}
            new_users.append(User(
                email=row.email, role=role, is_staff=role in TEAM_ROLES, is_superuser=role == Role.ADMIN,
                password=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20), date_joined=now, **values,
            ))
        User.objects.bulk_create(new_users)
        for user in new_users:
            users[user.email] = user
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, primary=True, verified=False) for u in new_users]
        )
        changed_users = []
        user_fields: set[str] = set()
        for row in todo:
            if row.status != "update":
                continue
            user = users[row.email]
            names = [n for n in row.changed if n in USER_FIELDS]
            for name in names:
                setattr(user, name, row.user[name])
            if "role" in names:
                user.is_staff = user.role in TEAM_ROLES
                user.is_superuser = user.role == Role.ADMIN
                names += ["is_staff", "is_superuser"]
            if names:
                changed_users.append(user)
                user_fields.update(names)
        if changed_users:
            User.objects.bulk_update(changed_users, sorted(user_fields))

        # Profiles.
        new_profiles, changed_profiles, profile_fields = [], [], set()
        for row in todo:
            user = users[row.email]
            profile = None if row.status == "create" else getattr(user, "profile", None)
            if profile is None:
                profile = Profile(user=user, **row.profile)
                new_profiles.append(profile)
            else:
                names = [n for n in row.changed if n in PROFILE_FIELDS]
                for name in names:
                    setattr(profile, name, row.profile[name])
                if names:
                    profile.updated_at = now
                    changed_profiles.append(profile)
                    profile_fields.update([*names, "updated_at"])
        Profile.objects.bulk_create(new_profiles)
        if changed_profiles:
            Profile.objects.bulk_update(changed_profiles, sorted(profile_fields))

        self._write_tags(todo, users)
        self._write_custom(todo, users, state["custom"], now)
        memberships = self._write_memberships(todo, users, state["memberships"], now)
        self._write_companies(todo, users, state["attachments"])
        self._write_activities(todo, users, memberships)

        from tribu.accounts.changes import members_changed

        members_changed([users[r.email].pk for r in todo])
        if self.invite:
            from .invitations import invite_on_commit

            for row in todo:
                if row.status == "create":
                    invite_on_commit(users[row.email])

    def _write_tags(self, todo: list[Row], users: dict[str, User]) -> None:
        wanted: dict[str, dict[str, str]] = {TagKind.SKILL: {}, TagKind.INTEREST: {}}
        for row in todo:
            if row.status == "update" and not any(n in row.changed for n in ("skills", "interests")):
                continue
            for kind, names in row.tags.items():
                for name in names:
                    slug = slugify(name)[:80]
                    if slug:
                        wanted[kind].setdefault(slug, name)
        tag_ids: dict[tuple[str, str], int] = {}
        for kind, by_slug in wanted.items():
            if not by_slug:
                continue
            existing = dict(Tag.objects.filter(kind=kind, slug__in=by_slug).values_list("slug", "pk"))
            missing = [Tag(kind=kind, slug=s, name=n) for s, n in by_slug.items() if s not in existing]
            if missing:
                Tag.objects.bulk_create(missing, ignore_conflicts=True)
                existing = dict(Tag.objects.filter(kind=kind, slug__in=by_slug).values_list("slug", "pk"))
            for slug, pk in existing.items():
                tag_ids[(kind, slug)] = pk
        for kind, through, attr in (
            (TagKind.SKILL, Profile.skills.through, "skills"),
            (TagKind.INTEREST, Profile.interests.through, "interests"),
        ):
            rows = [r for r in todo if kind in r.tags and (r.status == "create" or attr in r.changed)]
            if not rows:
                continue
            replaced = [users[r.email].pk for r in rows if r.status == "update"]
            if replaced:
                through.objects.filter(profile_id__in=replaced).delete()
            links = []
            for row in rows:
                pid = users[row.email].pk
                slugs = {slugify(n)[:80] for n in row.tags[kind]} - {""}
                links += [through(profile_id=pid, tag_id=tag_ids[(kind, s)]) for s in slugs if (kind, s) in tag_ids]
            through.objects.bulk_create(links)

    def _write_custom(self, todo: list[Row], users: dict[str, User], existing: dict, now: Any) -> None:
        new, changed = [], []
        for row in todo:
            user = users[row.email]
            for field_id, value in row.custom.items():
                current = existing.get((user.pk, field_id)) if row.status == "update" else None
                if current is None:
                    new.append(CustomFieldValue(user=user, field_id=field_id, value=value))
                elif current.value != value:
                    current.value = value
                    current.updated_at = now
                    changed.append(current)
        CustomFieldValue.objects.bulk_create(new)
        if changed:
            CustomFieldValue.objects.bulk_update(changed, ["value", "updated_at"])

    def _write_memberships(self, todo: list[Row], users: dict[str, User], existing: dict, now: Any) -> dict:
        new, changed, touched = [], [], {}
        for row in todo:
            if row.status == "update" and "membership" not in row.changed:
                continue
            user = users[row.email]
            held = existing.get(user.pk, []) if row.status == "update" else []
            action, membership = self._desired_membership(row, held)
            if action == "create":
                membership = Membership(
                    user=user, tier_id=row.tier_id, starts_on=row.starts_on or self.today, ends_on=row.ends_on,
                    status=_membership_status(row.starts_on, row.ends_on, self.today), source="import",
                )
                new.append(membership)
            elif action == "update" and membership is not None:
                if row.tier_id is not None:
                    membership.tier_id = row.tier_id
                    membership.status = _membership_status(row.starts_on, row.ends_on, self.today)
                    membership.ends_on = row.ends_on
                elif row.ends_on is not None:
                    membership.ends_on = row.ends_on
                if row.starts_on is not None:
                    membership.starts_on = row.starts_on
                membership.updated_at = now
                changed.append(membership)
            else:
                continue
            touched[row.email] = (action, membership)
        if changed:
            Membership.objects.bulk_update(changed, ["tier", "status", "starts_on", "ends_on", "updated_at"])
        Membership.objects.bulk_create(new)
        return touched

    def _write_companies(self, todo: list[Row], users: dict[str, User], existing: dict) -> None:
        new, changed = [], []
        for row in todo:
            company_id = row.company_id
            if company_id is None or (row.status == "update" and "company" not in row.changed):
                continue
            user = users[row.email]
            current = existing.get(user.pk) if row.status == "update" else None
            if current is None:
                new.append(CompanyMember(user=user, company_id=company_id))
            elif current.company_id != company_id:
                current.company_id = company_id
                current.is_contact = False
                changed.append(current)
        if changed:
            CompanyMember.objects.bulk_update(changed, ["company", "is_contact"])
        CompanyMember.objects.bulk_create(new)

    def _write_activities(self, todo: list[Row], users: dict[str, User], memberships: dict) -> None:
        """One activity per created or updated member, in one INSERT (same shape as ``core.activity.record``,
        which writes one row per call). A membership written by the row is named in the activity's data."""
        actor = self.actor if getattr(self.actor, "is_authenticated", False) else None
        user_type = ContentType.objects.get_for_model(User)
        activities = []
        for row in todo:
            user = users[row.email]
            data: dict[str, Any] = {"job": self.job_id, "fields": sorted(row.changed) if row.status == "update" else []}
            if row.email in memberships:
                action, membership = memberships[row.email]
                data["membership"] = {"id": membership.pk, "tier": membership.tier_id, "status": membership.status,
                                      "created": action == "create"}
            activities.append(Activity(
                actor=actor, verb="member.imported" if row.status == "create" else "member.import_updated",
                target_type=user_type, target_id=str(user.pk), data=data,
            ))
        Activity.objects.bulk_create(activities)
