"""Every write under a post: comments and replies (create, edit with a revision, soft delete),
reactions (add, remove, toggle), accepted answers (accept, unaccept).

Each action checks ``policies``, validates, writes in one transaction, records its activity, notifies
(only people who may view the post and did not mute its group) and tells search after the commit.
Counters (``Post.comment_count``, ``reaction_count``) and ``Post.last_activity_at`` move with ``F()``
updates, never by counting rows.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from tribu.core.activity import record
from tribu.feed.models import Comment, Emoji, Post, PostKind, Reaction, Revision
from tribu.feed.text import mentioned_group_ids, mentioned_ids, render_body

from . import policies
from .notifications import ANSWER_ACCEPTED, COMMENT, MENTION, REACTION, REPLY

MAX_COMMENT = 10000
MAX_MENTIONS = 50


def _url(post: Post, comment: Comment | None = None) -> str:
    from tribu.feed.actions import post_url

    url = post_url(post)
    return f"{url}#comment-{comment.pk}" if comment is not None else url


def _place(post: Post) -> Any:
    return post.group if post.group_id else None


def _place_name(post: Post) -> str:
    return post.group.name if post.group_id else ""


def _title(post: Post) -> str:
    if post.title:
        return post.title
    from django.utils.html import strip_tags
    from django.utils.text import Truncator

    return Truncator(" ".join(strip_tags(post.body_html or post.body).split())).chars(60)


def _index_later(obj: Any) -> None:
    from tribu.search.indexing import index_later

    index_later(obj)


def _remove_later(obj: Any) -> None:
    from tribu.search.indexing import remove_later

    remove_later(obj)


# --- checks ----------------------------------------------------------------------------------------


def check_body(body: Any) -> str:
    body = (body if isinstance(body, str) else "").strip()
    if not body:
        raise ValidationError({"body": [_("Write something before sending your comment.")]})
    if len(body) > MAX_COMMENT:
        raise ValidationError({"body": [_("Keep a comment under %(n)d characters.") % {"n": MAX_COMMENT}]})
    if "\x00" in body:
        raise ValidationError({"body": [_("The text contains characters that cannot be saved.")]})
    return body


def check_emoji(emoji: Any) -> str:
    if emoji not in Emoji.values:
        raise ValidationError({"emoji": [_("Choose one of the offered reactions.")]})
    return emoji


def _check_comment(actor: Any, post: Post) -> None:
    if not policies.can_view(actor, post) or not policies.is_live(post):
        raise PermissionDenied(_("You cannot see this post."))
    if post.locked_at is not None and not policies.moderates(actor, post):
        raise PermissionDenied(_("This discussion is locked: it takes no new comments."))
    if not policies.can_comment(actor, post):
        raise PermissionDenied(_("Join the group to take part in its discussions."))


# --- mentions --------------------------------------------------------------------------------------


def _mentions(actor: Any, post: Post, body: str) -> tuple[list[Any], list[Any], list[Any]]:
    """(Mentioned members who may view the post, mentioned members who may not — their mention stays
    plain text and they are told nothing —, groups ``actor`` may mention)."""
    from tribu.accounts.models import User
    from tribu.feed import policies as post_policies

    ids = mentioned_ids(body)[:MAX_MENTIONS]
    users = sorted(User.objects.filter(pk__in=ids, is_active=True), key=lambda u: ids.index(u.pk)) if ids else []
    reach = [u for u in users if post_policies.can_view(u, post)]
    unreached = [u for u in users if u not in reach]
    groups: list[Any] = []
    group_ids = mentioned_group_ids(body)[:10]
    if group_ids:
        from tribu.groups.models import Group

        groups = [g for g in Group.objects.filter(pk__in=group_ids)
                  if not g.is_archived and post_policies.can_mention_group(actor, g)]
    return reach, unreached, groups


def _render(actor: Any, post: Post, comment: Comment) -> tuple[list[Any], list[Any], list[Any]]:
    reach, unreached, groups = _mentions(actor, post, comment.body)
    comment.body_html = str(render_body(comment.body, {u.pk for u in reach}, {g.pk: g.slug for g in groups}))
    return reach, unreached, groups


# --- notifications ---------------------------------------------------------------------------------


def _muted(post: Post, ids: set[int]) -> set[int]:
    if not post.group_id or not ids:
        return set()
    from tribu.groups.models import GroupMembership, NotificationLevel

    return set(GroupMembership.objects.filter(group_id=post.group_id, user_id__in=ids,
                                              notification_level=NotificationLevel.MUTE)
               .values_list("user_id", flat=True))


def _audience(post: Post, users: list[Any], actor: Any) -> list[Any]:
    """``users`` who may view the post, are not ``actor`` and did not mute the post's group."""
    from tribu.feed import policies as post_policies

    users = [u for u in users if u is not None and u.is_active and u.pk != getattr(actor, "pk", None)]
    silenced = _muted(post, {u.pk for u in users})
    return [u for u in users if u.pk not in silenced and post_policies.can_view(u, post)]


def _notify_comment(actor: Any, post: Post, comment: Comment, activity: Any, mentioned: list[Any],
                    groups: list[Any], *, only_mentions: bool = False) -> None:
    """One notification per person, the most specific: a mention, else a reply to their comment, else
    a comment on their post. Members of mentioned groups are told as for a post."""
    from tribu.core.notifications.actions import notify

    url = _url(post, comment)
    data = {"post_id": post.pk, "comment_id": comment.pk, "title": _title(post), "group": _place_name(post)}
    told: set[int] = set()
    people = _audience(post, mentioned, actor)
    if people:
        notify(people, MENTION.code, actor=actor, activity=activity, url=url, **data)
        told.update(u.pk for u in people)
    if only_mentions:
        return
    if comment.parent_id:
        parent_author = comment.parent.author if comment.parent.author_id else None
        if parent_author is not None and parent_author.pk not in told:
            people = _audience(post, [parent_author], actor)
            if people:
                notify(people, REPLY.code, actor=actor, activity=activity, url=url, **data)
                told.update(u.pk for u in people)
    if post.author_id and post.author_id not in told:
        people = _audience(post, [post.author], actor)
        if people:
            notify(people, COMMENT.code, actor=actor, activity=activity, url=url, **data)
            told.update(u.pk for u in people)
    if groups:
        from tribu.feed.notifications import GROUP_MENTION
        from tribu.groups.notifications import recipients_by_level

        for group in groups:
            members = [u for level, users in recipients_by_level(group).items() if level != "mute" for u in users
                       if u.pk not in told]
            people = _audience(post, members, actor)
            if people:
                notify(people, GROUP_MENTION.code, actor=actor, activity=activity, url=url, group=group.name,
                       post_id=post.pk, comment_id=comment.pk)
                told.update(u.pk for u in people)


def _record_mentions(actor: Any, post: Post, comment: Comment, users: list[Any]) -> None:
    for user in users:
        record(actor, "mention", comment, group=post.group_id, mentioned_id=user.pk, mentioned=user.name,
               group_name=_place_name(post), post_id=post.pk)


# --- comments --------------------------------------------------------------------------------------


def create_comment(author: Any, post: Post, body: str, *, parent: Comment | None = None) -> Comment:
    """A comment on ``post``, or a reply to ``parent`` (a reply to a reply joins its top-level
    comment: one level of replies)."""
    _check_comment(author, post)
    body = check_body(body)
    if parent is not None:
        if parent.post_id != post.pk or parent.deleted_at is not None:
            raise ValidationError({"parent": [_("The comment you answer no longer exists.")]})
        if parent.parent_id:
            parent = Comment.objects.select_related("author").get(pk=parent.parent_id)
    comment = Comment(post=post, parent=parent, author=author, body=body)
    mentioned, unreached, groups = _render(author, post, comment)
    now = timezone.now()
    with transaction.atomic():
        comment.save()
        if mentioned:
            comment.mentions.set(mentioned)
        Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1, last_activity_at=now)
        post.comment_count += 1
        post.last_activity_at = now
        activity = record(author, "comment.created", comment, group=post.group_id, group_name=_place_name(post),
                          post_id=post.pk, reply=parent is not None,
                          answer=post.kind == PostKind.QUESTION and parent is None)
        _record_mentions(author, post, comment, mentioned)
        _notify_comment(author, post, comment, activity, mentioned, groups)
        _index_later(comment)
    comment._unreached = [u.name for u in unreached]  # type: ignore[attr-defined]
    return comment


def edit_comment(actor: Any, comment: Comment, body: str) -> Comment:
    """Change a comment's text, keeping the old one as a revision for moderators; newly mentioned
    members are told."""
    post = comment.post
    if not policies.can_edit_comment(actor, comment, post):
        raise PermissionDenied(_("You cannot edit this comment."))
    body = check_body(body)
    if body == comment.body:
        comment._unreached = []  # type: ignore[attr-defined]
        return comment
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.deleted_at is not None:
            raise PermissionDenied(_("This comment was deleted."))
        before = set(locked.mentions.values_list("pk", flat=True))
        Revision.objects.create(comment=locked, editor=actor, body=locked.body)
        locked.body = body
        mentioned, unreached, _groups = _render(actor, post, locked)
        locked.edited_at = timezone.now()
        locked.save(update_fields=["body", "body_html", "edited_at"])
        locked.mentions.set(mentioned)
        activity = record(actor, "comment.edited", locked, group=post.group_id, group_name=_place_name(post),
                          post_id=post.pk)
        new = [u for u in mentioned if u.pk not in before]
        _record_mentions(actor, post, locked, new)
        if new:
            _notify_comment(actor, post, locked, activity, new, [], only_mentions=True)
        _index_later(locked)
    locked.post = post
    locked._unreached = [u.name for u in unreached]  # type: ignore[attr-defined]
    return locked


def delete_comment(actor: Any, comment: Comment) -> None:
    """Soft delete: the text goes from every page (a comment with replies leaves a "deleted"
    placeholder), the counter drops, an accepted answer stops being one."""
    post = comment.post
    if not policies.can_delete_comment(actor, comment, post):
        raise PermissionDenied(_("You cannot delete this comment."))
    with transaction.atomic():
        done = Comment.objects.filter(pk=comment.pk, deleted_at__isnull=True).update(deleted_at=timezone.now())
        if not done:
            return
        Post.objects.filter(pk=post.pk).update(comment_count=Greatest(F("comment_count") - 1, Value(0)))
        Post.objects.filter(pk=post.pk, accepted_comment_id=comment.pk).update(accepted_comment=None,
                                                                               solved_at=None)
        record(actor, "comment.deleted", comment, group=post.group_id, group_name=_place_name(post),
               post_id=post.pk, author_id=comment.author_id, by_author=comment.author_id == actor.pk)
        _remove_later(comment)
        if post.accepted_comment_id == comment.pk:
            _index_later(post)
    comment.deleted_at = timezone.now()
    if post.accepted_comment_id == comment.pk:
        post.accepted_comment_id = None
        post.solved_at = None


# --- reactions -------------------------------------------------------------------------------------


def _target(target: Post | Comment) -> tuple[Post, dict[str, Any]]:
    if isinstance(target, Comment):
        return target.post, {"comment": target}
    return target, {"post": target}


def _check_react(user: Any, target: Post | Comment) -> Post:
    post, _unused = _target(target)
    if not policies.can_view(user, post) or not policies.is_live(post):
        raise PermissionDenied(_("You cannot see this post."))
    if isinstance(target, Comment) and target.deleted_at is not None:
        raise PermissionDenied(_("This comment was deleted."))
    if not policies.can_react(user, post):
        raise PermissionDenied(_("Join the group to react to its posts."))
    return post


def add_reaction(user: Any, target: Post | Comment, emoji: str = Emoji.LIKE) -> bool:
    """Add ``user``'s ``emoji`` to a post or comment; False when it was already there (two clicks at
    once make one row: the database's unique constraint decides)."""
    emoji = check_emoji(emoji)
    post = _check_react(user, target)
    _, where = _target(target)
    with transaction.atomic():
        try:
            with transaction.atomic():
                Reaction.objects.create(user=user, emoji=emoji, **where)
        except IntegrityError:
            return False
        type(target).objects.filter(pk=target.pk).update(reaction_count=F("reaction_count") + 1)
        on = "comment" if isinstance(target, Comment) else "post"
        activity = record(user, "reaction.added", target, group=post.group_id, group_name=_place_name(post),
                          post_id=post.pk, emoji=emoji, on=on)
        author = target.author if target.author_id else None
        people = _audience(post, [author], user) if author is not None else []
        if people:
            from tribu.core.notifications.actions import notify

            notify(people, REACTION.code, actor=user, activity=activity,
                   url=_url(post, target if on == "comment" else None),
                   target=f"{on}:{target.pk}", on=on, post_id=post.pk, title=_title(post))
    target.reaction_count += 1
    return True


def remove_reaction(user: Any, target: Post | Comment, emoji: str = Emoji.LIKE) -> bool:
    """Take ``user``'s ``emoji`` back; False when there was none."""
    emoji = check_emoji(emoji)
    _check_react(user, target)
    _, where = _target(target)
    with transaction.atomic():
        deleted, _unused = Reaction.objects.filter(user=user, emoji=emoji, **where).delete()
        if not deleted:
            return False
        type(target).objects.filter(pk=target.pk).update(
            reaction_count=Greatest(F("reaction_count") - 1, Value(0)))
    target.reaction_count = max(0, target.reaction_count - 1)
    return True


def toggle_reaction(user: Any, target: Post | Comment, emoji: str = Emoji.LIKE) -> bool:
    """Add the reaction, or take it back if ``user`` had it. True when it is now there."""
    emoji = check_emoji(emoji)
    _, where = _target(target)
    if Reaction.objects.filter(user=user, emoji=emoji, **where).exists():
        remove_reaction(user, target, emoji)
        return False
    add_reaction(user, target, emoji)
    return True


# --- accepted answers ------------------------------------------------------------------------------


def accept_answer(actor: Any, post: Post, comment: Comment) -> Post:
    """Mark ``comment`` as the answer of the question ``post``: the question shows as solved."""
    if not policies.can_accept(actor, post):
        raise PermissionDenied(_("Only the author of the question or an animator chooses its answer."))
    if comment.post_id != post.pk or comment.deleted_at is not None:
        raise ValidationError({"comment": [_("This answer no longer exists.")]})
    if comment.parent_id:
        raise ValidationError({"comment": [_("Accept an answer to the question, not a reply to an answer.")]})
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if locked.accepted_comment_id == comment.pk:
            return locked
        now = timezone.now()
        locked.accepted_comment_id = comment.pk
        locked.solved_at = now
        locked.save(update_fields=["accepted_comment", "solved_at", "updated_at"])
        activity = record(actor, "answer.accepted", comment, group=post.group_id, group_name=_place_name(post),
                          post_id=post.pk, answer_author_id=comment.author_id)
        author = comment.author if comment.author_id else None
        people = _audience(post, [author], actor) if author is not None else []
        if people:
            from tribu.core.notifications.actions import notify

            notify(people, ANSWER_ACCEPTED.code, actor=actor, activity=activity, url=_url(post, comment),
                   post_id=post.pk, comment_id=comment.pk, title=_title(post))
        _index_later(locked)
    post.accepted_comment_id, post.solved_at = comment.pk, now
    return post


def unaccept_answer(actor: Any, post: Post) -> Post:
    """The question is open again."""
    if not policies.can_accept(actor, post):
        raise PermissionDenied(_("Only the author of the question or an animator chooses its answer."))
    with transaction.atomic():
        done = Post.objects.filter(pk=post.pk, accepted_comment__isnull=False).update(
            accepted_comment=None, solved_at=None, updated_at=timezone.now())
        if done:
            record(actor, "answer.unaccepted", post, group=post.group_id, group_name=_place_name(post),
                   post_id=post.pk)
            _index_later(post)
    post.accepted_comment_id, post.solved_at = None, None
    return post
