"""Every write on posts: create (with mentions), the welcome post, pin, delete.

Access follows the group's rules (``tribu.groups.policies``). Notifications respect each member's
per-group level: ``all`` → a notification for each new post, ``digest`` → in the daily digest,
``mentions`` → only when mentioned, ``mute`` → nothing from that group.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from tribu.core.activity import record
from tribu.core.community import get_community

from . import policies
from .models import Post, PostKind
from .notifications import MENTION
from .text import mention_token, mentioned_ids, render_body

MAX_BODY = 10000


def post_url(post: Post) -> str:
    if post.group_id:
        return reverse("groups:detail", args=[post.group.slug]) + f"#post-{post.pk}"
    return reverse("home")


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write something before posting.")]})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": [_("Keep a post under %(n)d characters.") % {"n": MAX_BODY}]})
    return body


def _mentionable(group: Any, ids: list[int]) -> list[Any]:
    """Mentioned members who may read the post (a private group's outsiders are never told of it)."""
    from tribu.accounts.models import User
    from tribu.groups import policies as group_policies

    users = list(User.objects.filter(pk__in=ids, is_active=True))
    if group is None:
        return users
    return [u for u in users if group_policies.can_view(u, group)]


def _save(author: Any, group: Any, body: str, kind: str) -> Post:
    mentioned = _mentionable(group, mentioned_ids(body))
    post = Post.objects.create(
        author=author if getattr(author, "is_authenticated", False) else None,
        group=group,
        kind=kind,
        body=body,
        body_html=str(render_body(body, {u.pk for u in mentioned})),
    )
    if mentioned:
        post.mentions.set(mentioned)
    post._mentioned = mentioned  # type: ignore[attr-defined]
    return post


def _notify(post: Post, actor: Any, activity: Any) -> None:
    from tribu.core.notifications.actions import notify

    mentioned = post._mentioned  # type: ignore[attr-defined]
    url = post_url(post)
    group = post.group
    if group is None:
        if mentioned:
            notify(mentioned, MENTION.code, actor=actor, activity=activity, url=url, post_id=post.pk)
        return
    from tribu.groups.models import NotificationLevel
    from tribu.groups.notifications import ACTIVITY, ACTIVITY_DIGEST, recipients_by_level

    levels = recipients_by_level(group)
    mention_ids = {u.pk for u in mentioned}
    silenced = {u.pk for u in levels[NotificationLevel.MUTE]}
    to_mention = [u for u in mentioned if u.pk not in silenced]
    if to_mention:
        notify(to_mention, MENTION.code, actor=actor, activity=activity, url=url, group=group.name, post_id=post.pk)
    if post.kind == PostKind.WELCOME:
        return
    data = {"group": group.name, "post_id": post.pk}
    everyone = [u for u in levels[NotificationLevel.ALL] if u.pk not in mention_ids]
    digest = [u for u in levels[NotificationLevel.DIGEST] if u.pk not in mention_ids]
    if everyone:
        notify(everyone, ACTIVITY.code, actor=actor, activity=activity, url=url, **data)
    if digest:
        notify(digest, ACTIVITY_DIGEST.code, actor=actor, activity=activity, url=url, **data)


def create_post(author: Any, group: Any, body: str, *, kind: str = PostKind.DISCUSSION) -> Post:
    """``author`` posts ``body`` (Markdown, mentions as ``@[Name](user:id)``) in ``group`` (None: the
    community feed). Mentioned members who may read it are notified; the group's members as they chose."""
    if not policies.can_post_in(author, group):
        raise PermissionDenied(_("You may not post here."))
    if kind not in (PostKind.DISCUSSION, PostKind.ANNOUNCEMENT):
        raise ValidationError({"kind": [_("Choose a discussion or an announcement.")]})
    body = _clean_body(body)
    with transaction.atomic():
        if group is not None:
            from tribu.groups.models import Group

            group = Group.objects.select_for_update().get(pk=group.pk)  # an archive waits for us, or we for it
            if not policies.can_post_in(author, group):
                raise PermissionDenied(_("You may not post here."))
        post = _save(author, group, body, kind)
        activity = record(author, "post.created", post, group=group, group_name=getattr(group, "name", ""))
        _notify(post, author, activity)
    return post


def welcome_post(group: Any, member: Any) -> Post:
    """The automatic welcome when ``member`` joins ``group``: the group's text (``{member}`` becomes a
    mention of the newcomer) or a default one, in the community's language. Call inside the action
    that adds the member."""
    token = mention_token(member)
    template = (group.welcome_message or "").strip()
    if not template:
        language = get_community().default_language or settings.LANGUAGE_CODE
        with translation.override(language):
            template = _("Welcome, {member}! We are glad to have you in the group.")
    if "{member}" not in template:
        template = f"{template}\n\n{{member}}"
    body = template.replace("{member}", token)[:MAX_BODY]
    post = _save(None, group, body, PostKind.WELCOME)
    activity = record(None, "post.welcome", post, group=group, member_id=member.pk, member=member.name,
                      group_name=group.name)
    _notify(post, None, activity)
    return post


def set_pinned(actor: Any, post: Post, pinned: bool) -> Post:
    if not policies.can_pin(actor, post):
        raise PermissionDenied
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if locked.pinned != pinned:
            locked.pinned = pinned
            locked.save(update_fields=["pinned", "updated_at"])
            record(actor, "post.pinned" if pinned else "post.unpinned", locked, group=locked.group_id,
                   group_name=post.group.name if post.group_id else "")
    return locked


def delete_post(actor: Any, post: Post) -> None:
    if not policies.can_delete(actor, post):
        raise PermissionDenied
    with transaction.atomic():
        record(actor, "post.deleted", None, group=post.group_id, post_id=post.pk,
               author_id=post.author_id, group_name=post.group.name if post.group_id else "",
               audit=post.author_id != getattr(actor, "pk", None))
        Post.objects.filter(pk=post.pk).delete()
