"""Every write about groups: types, groups and their tree, membership (join, requests, leave,
roles), the creation policy and creation requests. Invitations are in ``invitations.py`` and the
automatic membership rules in ``rules.py``.

Each action checks permission (``PermissionDenied``), validates (``ValidationError``), writes in one
transaction (locking the group row where a check-then-act could race), records the activity and
leaves emails and notifications to ``transaction.on_commit`` (through ``notify``/``send_*_on_commit``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tribu.core.activity import record
from tribu.search.indexing import index_later, remove_later

from . import policies, queries
from .models import (
    LEADING_ROLES,
    CreationMode,
    CreationPolicy,
    CreationRequest,
    Group,
    GroupMembership,
    GroupType,
    JoinRequest,
    NotificationLevel,
    RequestStatus,
    Role,
    Source,
    Visibility,
    segment,
    stricter,
)

RESERVED_SLUGS = {"manage", "mine", "new", "invitations", "requests", "api", "propose"}
GROUP_FIELDS = (
    "name", "type", "parent", "visibility", "open_to_guests", "summary", "purpose", "rules", "welcome_message",
    "join_questions", "restriction_mode",
)
MAX_QUESTIONS = 5
MAX_ANSWER = 1000


class AlreadyMember(ValidationError):
    """The person is already a member of the group."""


# ---------------------------------------------------------------- group types


def save_group_type(actor: Any, group_type: GroupType) -> GroupType:
    if not policies.can_manage_groups(actor):
        raise PermissionDenied
    group_type.name_fr = (group_type.name_fr or "").strip()
    group_type.name_en = (group_type.name_en or "").strip()
    if not group_type.name_fr and not group_type.name_en:
        raise ValidationError({"name_fr": [_("Enter the type's name in French or in English.")]})
    group_type.full_clean()
    creating = group_type.pk is None
    with transaction.atomic():
        group_type.save()
        record(actor, "group_type.created" if creating else "group_type.updated", group_type, audit=True,
               name=group_type.name)
    return group_type


def delete_group_type(actor: Any, group_type: GroupType) -> None:
    if not policies.can_manage_groups(actor):
        raise PermissionDenied
    with transaction.atomic():
        record(actor, "group_type.deleted", None, audit=True, name=group_type.name)
        group_type.delete()


# ---------------------------------------------------------------- the tree


def unique_slug(name: str, exclude_pk: int | None = None) -> str:
    base = (slugify(name) or "groupe")[:130].strip("-") or "groupe"
    if base in RESERVED_SLUGS:
        base = f"{base}-groupe"
    slug, n = base, 2
    taken = Group.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _place(group: Group, parent: Group | None) -> None:
    """Set path, depth and the effective (inherited) visibility and guest access from ``parent``."""
    group.path = (parent.path if parent else "") + segment(group.pk)
    group.depth = parent.depth + 1 if parent else 0
    group.effective_visibility = stricter(group.visibility, parent.effective_visibility) if parent else group.visibility
    group.effective_guests = group.open_to_guests and (parent.effective_guests if parent else True)


def _refresh_subtree(group: Group, old_path: str) -> int:
    """Re-place every descendant after ``group`` moved or changed visibility (one read, one bulk write)."""
    descendants = list(
        Group.objects.select_for_update().filter(path__startswith=old_path).exclude(pk=group.pk).order_by("depth")
    )
    by_id = {group.pk: group}
    for node in descendants:
        by_id[node.pk] = node
    for node in descendants:
        _place(node, by_id[node.parent_id])
    if descendants:
        Group.objects.bulk_update(descendants, ["path", "depth", "effective_visibility", "effective_guests"])
    return len(descendants)


def _clean_group(group: Group) -> None:
    errors: dict[str, list[str]] = {}
    group.name = " ".join((group.name or "").split())
    if not group.name:
        errors["name"] = [_("Enter the group's name.")]
    questions = [" ".join(str(q).split())[:300] for q in (group.join_questions or []) if str(q).strip()]
    if len(questions) > MAX_QUESTIONS:
        errors["join_questions"] = [_("Ask at most %(n)d questions.") % {"n": MAX_QUESTIONS}]
    group.join_questions = questions
    if group.parent_id and group.pk:
        parent = Group.objects.filter(pk=group.parent_id).values_list("path", flat=True).first() or ""
        if group.path and parent.startswith(group.path):
            errors["parent"] = [_("A group cannot be placed inside itself or one of its sub-groups.")]
    try:
        group.full_clean(exclude=["slug", "path", "required_tiers", "parent", "type"])
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def create_group(actor: Any, *, owner: Any = None, tiers: Iterable[Any] = (), **values: Any) -> Group:
    """Create a group; ``owner`` (default: the actor) becomes its owner. A sub-group may be created by
    the parent's animators and the team; a top-level group by whoever the creation policy allows."""
    parent = values.get("parent")
    allowed = policies.can_create_under(actor, parent) if parent else policies.can_create_group(actor)
    if not allowed:
        raise PermissionDenied
    group = Group(**{k: v for k, v in values.items() if k in GROUP_FIELDS}, created_by=actor)
    _clean_group(group)
    owner = owner or actor
    with transaction.atomic():
        group.slug = unique_slug(group.name)
        group.save()
        if parent is not None:
            parent = Group.objects.get(pk=parent.pk)
        _place(group, parent)
        group.save(update_fields=["path", "depth", "effective_visibility", "effective_guests"])
        if tiers:
            group.required_tiers.set(list(tiers))
            queries.forget_restricted()
            transaction.on_commit(queries.forget_restricted)
        GroupMembership.objects.create(group=group, user=owner, role=Role.OWNER, source=Source.MANUAL)
        Group.objects.filter(pk=group.pk).update(member_count=1)
        group.member_count = 1
        record(actor, "group.created", group, group=group, name=group.name, audit=policies.can_manage_groups(actor))
        index_later(group)
    policies.forget(owner)
    return group


def update_group(actor: Any, group: Group, values: dict[str, Any], tiers: Iterable[Any] | None = None) -> list[str]:
    """Change these fields (and the tiers that open the group); returns what changed."""
    if not policies.can_edit(actor, group):
        raise PermissionDenied
    if "parent" in values and values["parent"] != group.parent and not policies.can_manage_groups(actor):
        new_parent = values["parent"]
        if new_parent is None or not policies.is_animator(actor, new_parent):
            raise PermissionDenied(_("Only the community team or the new parent's animators can move a group."))
    changed = []
    for key, value in values.items():
        if key not in GROUP_FIELDS:
            continue
        current = getattr(group, key)
        if current != value:
            setattr(group, key, value)
            changed.append(key)
    tiers_changed = False
    if tiers is not None:
        new_ids = {t.pk for t in tiers}
        tiers_changed = new_ids != {t.pk for t in group.required_tiers.all()}
    if not changed and not tiers_changed:
        return []
    _clean_group(group)
    with transaction.atomic():
        old_path = group.path
        if {"parent", "visibility", "open_to_guests"} & set(changed):
            parent = Group.objects.filter(pk=group.parent_id).first() if group.parent_id else None
            _place(group, parent)
            changed += ["path", "depth", "effective_visibility", "effective_guests"]
        group.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
        if "path" in changed:
            _refresh_subtree(group, old_path)
        if tiers_changed:
            group.required_tiers.set(list(tiers or []))
            changed.append("required_tiers")
        if {"path", "required_tiers", "restriction_mode"} & set(changed):
            queries.forget_restricted()
            transaction.on_commit(queries.forget_restricted)
        record(actor, "group.updated", group, group=group, name=group.name,
               fields=[c for c in changed if c not in ("path", "depth", "effective_visibility", "effective_guests")])
        index_later(group)
    return changed


def archive_group(actor: Any, group: Group, archived: bool = True) -> Group:
    """An archived group is read-only (no joining, posting, inviting); the team un-archives it."""
    if archived and not policies.can_archive(actor, group):
        raise PermissionDenied
    if not archived and not policies.can_manage_groups(actor):
        raise PermissionDenied
    with transaction.atomic():
        locked = Group.objects.select_for_update().get(pk=group.pk)
        if (locked.archived_at is not None) == archived:
            return locked
        locked.archived_at = timezone.now() if archived else None
        locked.save(update_fields=["archived_at", "updated_at"])
        record(actor, "group.archived" if archived else "group.unarchived", locked, group=locked, name=locked.name,
               audit=policies.can_manage_groups(actor))
        index_later(locked)
    return locked


def delete_group(actor: Any, group: Group) -> None:
    if not policies.can_manage_groups(actor):
        raise PermissionDenied
    if Group.objects.filter(parent=group).exists():
        raise ValidationError(_("Move or delete its sub-groups first."), code="has_children")
    with transaction.atomic():
        record(actor, "group.deleted", None, audit=True, name=group.name, group_id_was=group.pk)
        remove_later(group)
        group.delete()
        transaction.on_commit(queries.forget_restricted)


# ---------------------------------------------------------------- membership


def _lock(group: Group) -> Group:
    return Group.objects.select_for_update().get(pk=group.pk)


def add_member(group: Group, user: Any, *, actor: Any, source: str = Source.MANUAL, role: str = Role.MEMBER,
               welcome: bool = True) -> GroupMembership:
    """Add ``user`` to ``group`` (caller checked the permission and holds a transaction): the member
    count moves with ``F()``, the activity is recorded and the welcome post is written. Raises
    ``AlreadyMember`` when they already belong to it."""
    from tribu.feed.actions import welcome_post

    try:
        with transaction.atomic():
            membership = GroupMembership.objects.create(group=group, user=user, role=role, source=source)
    except IntegrityError:
        raise AlreadyMember(_("You are already a member of this group."), code="already_member") from None
    Group.objects.filter(pk=group.pk).update(member_count=F("member_count") + 1)
    record(actor, "group.joined" if actor is not None and actor == user else "group.member_added", group, group=group,
           name=group.name, member_id=user.pk, member=user.name, source=source)
    if welcome:
        welcome_post(group, user)
    # A join request left pending is now moot.
    JoinRequest.objects.filter(group=group, user=user, status=RequestStatus.PENDING).update(
        status=RequestStatus.CANCELLED, decided_at=timezone.now()
    )
    policies.forget(user)
    return membership


def _drop_member(group: Group, membership: GroupMembership) -> None:
    GroupMembership.objects.filter(pk=membership.pk).delete()
    Group.objects.filter(pk=group.pk).update(member_count=F("member_count") - 1)


def join_group(user: Any, group: Group) -> GroupMembership:
    """One click into a public group (the team joins any group)."""
    if policies.is_member(user, group):
        raise AlreadyMember(_("You are already a member of this group."), code="already_member")
    if not policies.can_join(user, group):
        raise PermissionDenied(_("You cannot join this group."))
    with transaction.atomic():
        locked = _lock(group)
        if locked.is_archived:
            raise PermissionDenied(_("This group is archived: it no longer takes new members."))
        return add_member(locked, user, actor=user)


def request_to_join(user: Any, group: Group, answers: list[str]) -> JoinRequest:
    """Ask to join a moderated group, answering its questions; its animators are notified."""
    if policies.is_member(user, group):
        raise AlreadyMember(_("You are already a member of this group."), code="already_member")
    if not policies.can_request(user, group):
        raise PermissionDenied(_("You cannot ask to join this group."))
    questions = group.join_questions or []
    answers = [" ".join(str(a or "").split()) for a in (answers or [])][: len(questions)]
    answers += [""] * (len(questions) - len(answers))
    errors = []
    for question, answer in zip(questions, answers, strict=True):
        if not answer:
            errors.append(_("Answer the question « %(q)s ».") % {"q": question})
        elif len(answer) > MAX_ANSWER:
            errors.append(_("Keep each answer under %(n)d characters.") % {"n": MAX_ANSWER})
    if errors:
        raise ValidationError({"answers": errors})
    with transaction.atomic():
        locked = _lock(group)
        if JoinRequest.objects.filter(group=locked, user=user, status=RequestStatus.PENDING).exists():
            raise ValidationError(_("You already asked to join this group: an animator will answer soon."),
                                  code="duplicate")
        join_request = JoinRequest.objects.create(
            group=locked, user=user,
            answers=[{"question": q, "answer": a} for q, a in zip(questions, answers, strict=True)],
        )
        activity = record(user, "group.join_requested", locked, group=locked, name=locked.name)
        _notify_animators(locked, user, activity)
    return join_request


def _animators(group: Group) -> list[Any]:
    """Owners and animators of the group and of its ancestors (who may approve)."""
    from tribu.accounts.models import User

    ids = [*group.ancestor_ids(), group.pk]
    return list(User.objects.filter(
        is_active=True, group_memberships__group_id__in=ids, group_memberships__role__in=LEADING_ROLES
    ).distinct())


def _notify_animators(group: Group, user: Any, activity: Any) -> None:
    from tribu.core.notifications.actions import notify

    from .notifications import JOIN_REQUEST

    notify(_animators(group), JOIN_REQUEST.code, actor=user, activity=activity,
           url=reverse("groups:requests", args=[group.slug]), group=group.name)


def cancel_request(user: Any, group: Group) -> None:
    with transaction.atomic():
        changed = JoinRequest.objects.filter(group=group, user=user, status=RequestStatus.PENDING).update(
            status=RequestStatus.CANCELLED, decided_at=timezone.now()
        )
        if not changed:
            raise JoinRequest.DoesNotExist
        record(user, "group.join_cancelled", group, group=group, name=group.name)


def decide_request(actor: Any, group: Group, request_id: int, *, approve: bool, message: str = "") -> JoinRequest:
    """An animator (or the team) approves or declines a pending request, with an optional message."""
    from tribu.core.notifications.actions import notify

    from .notifications import REQUEST_DECIDED

    if not policies.can_approve(actor, group):
        raise PermissionDenied(_("Only the group's animators can answer join requests."))
    message = (message or "").strip()[:2000]
    with transaction.atomic():
        locked = _lock(group)
        join_request = JoinRequest.objects.select_for_update().select_related("user").filter(
            pk=request_id, group=locked
        ).first()
        if join_request is None:
            raise JoinRequest.DoesNotExist
        if join_request.status != RequestStatus.PENDING:
            raise ValidationError(_("This request was already answered."), code="not_pending")
        join_request.status = RequestStatus.APPROVED if approve else RequestStatus.DECLINED
        join_request.response = message
        join_request.decided_by = actor
        join_request.decided_at = timezone.now()
        join_request.save(update_fields=["status", "response", "decided_by", "decided_at"])
        member = join_request.user
        activity = record(actor, "group.request_approved" if approve else "group.request_declined", locked,
                          group=locked, name=locked.name, member_id=member.pk, member=member.name)
        if approve and not GroupMembership.objects.filter(group=locked, user=member).exists():
            add_member(locked, member, actor=member, source=Source.REQUEST)
        notify([member], REQUEST_DECIDED.code, actor=actor, activity=activity,
               url=reverse("groups:detail", args=[locked.slug]), group=locked.name, approved=approve,
               message=message)
    return join_request


def leave_group(user: Any, group: Group) -> None:
    """One click out. The last owner of a group cannot leave it (they name another owner first)."""
    with transaction.atomic():
        locked = _lock(group)
        membership = GroupMembership.objects.filter(group=locked, user=user).first()
        if membership is None:
            raise GroupMembership.DoesNotExist
        if membership.role == Role.OWNER and not GroupMembership.objects.filter(
            group=locked, role=Role.OWNER
        ).exclude(pk=membership.pk).exists():
            raise ValidationError(_("You are the only owner of this group: name another owner before leaving."),
                                  code="last_owner")
        _drop_member(locked, membership)
        record(user, "group.left", locked, group=locked, name=locked.name, member_id=user.pk, member=user.name)
    policies.forget(user)


def remove_member(actor: Any, group: Group, user_id: int) -> None:
    with transaction.atomic():
        locked = _lock(group)
        membership = GroupMembership.objects.select_related("user").filter(group=locked, user_id=user_id).first()
        if membership is None:
            raise GroupMembership.DoesNotExist
        if not policies.can_remove_member(actor, locked, membership):
            raise PermissionDenied(_("You cannot remove this member."))
        _drop_member(locked, membership)
        record(actor, "group.member_removed", locked, group=locked, name=locked.name, member_id=user_id,
               member=membership.user.name)


def set_role(actor: Any, group: Group, user_id: int, role: str) -> GroupMembership:
    if role not in Role.values:
        raise ValidationError({"role": [_("Choose owner, animator or member.")]})
    if not policies.can_set_roles(actor, group):
        raise PermissionDenied
    with transaction.atomic():
        locked = _lock(group)
        membership = GroupMembership.objects.select_for_update().select_related("user").get(
            group=locked, user_id=user_id
        )
        if membership.role == role:
            return membership
        if membership.role == Role.OWNER and not GroupMembership.objects.filter(
            group=locked, role=Role.OWNER
        ).exclude(pk=membership.pk).exists():
            raise ValidationError(_("A group keeps at least one owner."), code="last_owner")
        membership.role = role
        membership.save(update_fields=["role"])
        record(actor, "group.role_changed", locked, group=locked, name=locked.name, member_id=user_id,
               member=membership.user.name, role=role)
    policies.forget(membership.user)
    return membership


def set_notification_level(user: Any, group: Group, level: str) -> GroupMembership:
    if level not in NotificationLevel.values:
        raise ValidationError({"level": [_("Choose all activity, mentions only, digest email or mute.")]})
    with transaction.atomic():
        membership = GroupMembership.objects.select_for_update().filter(group=group, user=user).first()
        if membership is None:
            raise GroupMembership.DoesNotExist
        if membership.notification_level != level:
            membership.notification_level = level
            membership.save(update_fields=["notification_level"])
    return membership


# ---------------------------------------------------------------- creation policy and requests


def set_creation_policy(actor: Any, mode: str, tiers: Iterable[Any] = ()) -> CreationPolicy:
    if not policies.can_manage_groups(actor):
        raise PermissionDenied
    if mode not in CreationMode.values:
        raise ValidationError({"mode": [_("Choose who may create groups.")]})
    tiers = list(tiers)
    if mode == CreationMode.TIERS and not tiers:
        raise ValidationError({"required_tiers": [_("Choose at least one tier.")]})
    with transaction.atomic():
        policy, _created = CreationPolicy.objects.select_for_update().get_or_create(pk=1)
        policy.mode = mode
        policy.save(update_fields=["mode", "updated_at"])
        policy.required_tiers.set(tiers if mode == CreationMode.TIERS else [])
        record(actor, "group_policy.updated", None, audit=True, mode=mode)
    return policy


def request_creation(user: Any, *, name: str, purpose: str, type: Any = None, parent: Any = None,
                     visibility: str = Visibility.PUBLIC) -> CreationRequest:
    from tribu.accounts.models import User
    from tribu.core.notifications.actions import notify

    from .notifications import CREATION

    if not policies.can_request_creation(user):
        raise PermissionDenied
    name = " ".join((name or "").split())
    purpose = (purpose or "").strip()
    errors = {}
    if not name:
        errors["name"] = [_("Enter the group's name.")]
    if not purpose:
        errors["purpose"] = [_("Say what the group is for.")]
    if visibility not in Visibility.values:
        errors["visibility"] = [_("Choose a visibility.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if CreationRequest.objects.filter(requested_by=user, name__iexact=name, status=RequestStatus.PENDING).exists():
            raise ValidationError(_("You already proposed this group: the team will answer soon."), code="duplicate")
        proposal = CreationRequest.objects.create(requested_by=user, name=name[:120], purpose=purpose[:5000],
                                                  type=type, parent=parent, visibility=visibility)
        activity = record(user, "group.creation_requested", proposal, name=proposal.name)
        team = User.objects.filter(is_active=True, role__in=["admin", "staff"])
        notify(team, CREATION.code, actor=user, activity=activity, url=reverse("groups:manage"),
               event="requested", name=proposal.name)
    return proposal


def decide_creation(actor: Any, proposal_id: int, *, approve: bool, message: str = "") -> CreationRequest:
    from tribu.core.notifications.actions import notify

    from .notifications import CREATION

    if not policies.can_manage_groups(actor):
        raise PermissionDenied
    with transaction.atomic():
        proposal = CreationRequest.objects.select_for_update().select_related("requested_by").get(pk=proposal_id)
        if proposal.status != RequestStatus.PENDING:
            raise ValidationError(_("This proposal was already answered."), code="not_pending")
        proposal.status = RequestStatus.APPROVED if approve else RequestStatus.DECLINED
        proposal.response = (message or "").strip()[:2000]
        proposal.decided_by = actor
        proposal.decided_at = timezone.now()
        url = reverse("groups:index")
        if approve:
            group = create_group(actor, owner=proposal.requested_by, name=proposal.name, type=proposal.type,
                                 parent=proposal.parent, visibility=proposal.visibility, purpose=proposal.purpose)
            proposal.group = group
            url = reverse("groups:detail", args=[group.slug])
        proposal.save(update_fields=["status", "response", "decided_by", "decided_at", "group"])
        activity = record(actor, "group.creation_approved" if approve else "group.creation_declined", proposal,
                          name=proposal.name, audit=True)
        notify([proposal.requested_by], CREATION.code, actor=actor, activity=activity, url=url,
               event="decided", approved=approve, name=proposal.name)
    return proposal
