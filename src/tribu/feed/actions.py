"""Every write on posts: create (draft, scheduled or published, with mentions and tags), publish,
edit (with a revision), soft delete, pin, lock, feature, the welcome post, follows, welcome blocks.

Access follows ``policies`` (group posts: ``tribu.groups.policies``). Notifications respect each
member's per-group level: ``all`` → a notification for each new post, ``digest`` → in the daily
digest, ``mentions`` → only when mentioned, ``mute`` → nothing from that group.

Side effects of going live (mentions notified, group told, activity recorded, search indexed) happen
once, when the post is published: at creation, when its author publishes a draft, or when the
scheduler reaches a scheduled post's time (``publish_due``, idempotent).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tribu.core.activity import record
from tribu.core.community import get_community

from . import policies
from .models import Audience, Follow, Post, PostKind, PostStatus, Revision, Tag, WelcomeBlock
from .notifications import GROUP_MENTION, MENTION
from .text import MAX_TAGS, mention_token, mentioned_group_ids, mentioned_ids, render_body, tag_names

MAX_BODY = 20000
MAX_TITLE = 200
MAX_MENTIONS = 50
CREATABLE_KINDS = (PostKind.DISCUSSION, PostKind.QUESTION, PostKind.ANNOUNCEMENT, PostKind.ARTICLE, PostKind.LINK)


def post_url(post: Post) -> str:
    """The post's own page (``feed:detail``); before that page exists, its place in the group feed."""
    try:
        return reverse("feed:detail", args=[post.pk])
    except NoReverseMatch:
        if post.group_id:
            return reverse("groups:detail", args=[post.group.slug]) + f"#post-{post.pk}"
        return reverse("feed:index") + f"#post-{post.pk}"


def _index_later(post: Post) -> None:
    from tribu.search.indexing import index_later

    index_later(post)


def _remove_later(post: Post) -> None:
    from tribu.search.indexing import remove_later

    remove_later(post)


# --- checks ----------------------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write something before posting.")]})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": [_("Keep a post under %(n)d characters.") % {"n": MAX_BODY}]})
    if "\x00" in body:
        raise ValidationError({"body": [_("The text contains characters that cannot be saved.")]})
    return body


def _clean_title(title: str, kind: str) -> str:
    title = " ".join((title or "").split())
    if len(title) > MAX_TITLE:
        raise ValidationError({"title": [_("Keep the title under %(n)d characters.") % {"n": MAX_TITLE}]})
    if kind == PostKind.ARTICLE and not title:
        raise ValidationError({"title": [_("An article needs a title.")]})
    return title


def _clean_link(url: str, kind: str) -> str:
    url = (url or "").strip()
    if not url:
        if kind == PostKind.LINK:
            raise ValidationError({"link_url": [_("Give the address of the page you share.")]})
        return ""
    if len(url) > 1000:
        raise ValidationError({"link_url": [_("This address is too long.")]})
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"link_url": [_("Enter a web address starting with http:// or https://.")]}) from None
    if not urlsplit(url).hostname:
        raise ValidationError({"link_url": [_("Enter a web address starting with http:// or https://.")]})
    return url


def _clean_kind(actor: Any, group: Any, kind: str) -> str:
    if kind not in CREATABLE_KINDS:
        raise ValidationError({"kind": [_("Choose a discussion, a question, an announcement, an article or a link.")]})
    if kind == PostKind.ANNOUNCEMENT and not policies.can_announce(actor, group):
        raise PermissionDenied(_("Only the team posts community announcements, and animators in their groups."))
    return kind


def _clean_schedule(status: str, publish_at: datetime | None) -> tuple[str, datetime | None]:
    if status not in PostStatus.values:
        raise ValidationError({"status": [_("Choose to publish, schedule or keep a draft.")]})
    if status == PostStatus.SCHEDULED:
        if publish_at is None:
            raise ValidationError({"publish_at": [_("Choose when to publish the post.")]})
        if timezone.is_naive(publish_at):
            publish_at = timezone.make_aware(publish_at)
        if publish_at <= timezone.now():
            raise ValidationError({"publish_at": [_("Choose a time in the future.")]})
        return status, publish_at
    return status, None


def _check_cover(cover: Any, cover_alt: str) -> str:
    cover_alt = " ".join((cover_alt or "").split())[:200]
    if cover:
        from tribu.media.validation import check_upload

        try:
            check_upload(cover, kinds=("image",))
        except ValidationError as error:
            raise ValidationError({"cover": error.messages}) from None
        if not cover_alt:
            raise ValidationError({"cover_alt": [_("Describe the cover image for people who cannot see it.")]})
    return cover_alt


# --- mentions and tags -----------------------------------------------------------------------------


def _mentionable(group: Any, ids: list[int]) -> tuple[list[Any], list[Any]]:
    """(Mentioned members who may read the post, those who may not: a private group's outsiders are
    never told of it and their mention stays plain text)."""
    from tribu.accounts.models import User
    from tribu.groups import policies as group_policies

    users = list(User.objects.filter(pk__in=ids[:MAX_MENTIONS], is_active=True))
    users.sort(key=lambda u: ids.index(u.pk))
    if group is None:
        return users, []
    reach = [u for u in users if group_policies.can_view(u, group)]
    return reach, [u for u in users if u not in reach]


def _mentionable_groups(actor: Any, ids: list[int]) -> tuple[list[Any], list[Any]]:
    """(Groups ``actor`` may mention, the others)."""
    if not ids:
        return [], []
    from tribu.groups.models import Group

    groups = list(Group.objects.filter(pk__in=ids[:10]))
    allowed = [g for g in groups if policies.can_mention_group(actor, g) and not g.is_archived]
    return allowed, [g for g in groups if g not in allowed]


def _tags(names: list[str]) -> list[Tag]:
    names = names[:MAX_TAGS]
    if not names:
        return []
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    return [existing[n] for n in names if n in existing]


def _render(post: Post, actor: Any) -> None:
    """Render the body and refresh mentions and tags. Sets ``post._unreached`` (names of members and
    groups whose mention was neutralised) for the caller to tell the author."""
    group = post.group if post.group_id else None
    reach, unreached = _mentionable(group, mentioned_ids(post.body))
    groups, refused_groups = _mentionable_groups(actor, mentioned_group_ids(post.body))
    post.body_html = str(render_body(post.body, {u.pk for u in reach}, {g.pk: g.slug for g in groups}))
    post._mentioned = reach  # type: ignore[attr-defined]
    post._mentioned_groups = groups  # type: ignore[attr-defined]
    post._unreached = [u.name for u in unreached] + [g.name for g in refused_groups]  # type: ignore[attr-defined]


def _set_relations(post: Post, tags: Any) -> None:
    post.mentions.set(post._mentioned)  # type: ignore[attr-defined]
    post.tags.set(_tags(tag_names(post.body, tags)))


# --- notifications ---------------------------------------------------------------------------------


def _notify(post: Post, actor: Any, activity: Any, *, only: set[int] | None = None) -> None:
    """Tell the mentioned members (``only``: just these ids, after an edit), the mentioned groups and
    the group's members as they chose."""
    from tribu.core.notifications.actions import notify

    mentioned = [u for u in post._mentioned if only is None or u.pk in only]  # type: ignore[attr-defined]
    url = post_url(post)
    group = post.group if post.group_id else None
    mention_ids = {u.pk for u in mentioned}
    if group is None:
        if mentioned:
            notify(mentioned, MENTION.code, actor=actor, activity=activity, url=url, post_id=post.pk)
        if only is None:
            _notify_groups(post, actor, activity, url, mention_ids)
        return
    from tribu.groups.models import NotificationLevel
    from tribu.groups.notifications import ACTIVITY, ACTIVITY_DIGEST, recipients_by_level

    levels = recipients_by_level(group)
    silenced = {u.pk for u in levels[NotificationLevel.MUTE]}
    to_mention = [u for u in mentioned if u.pk not in silenced]
    if to_mention:
        notify(to_mention, MENTION.code, actor=actor, activity=activity, url=url, group=group.name, post_id=post.pk)
    if only is not None or post.kind == PostKind.WELCOME:
        return
    told = _notify_groups(post, actor, activity, url, mention_ids)
    data = {"group": group.name, "post_id": post.pk}
    everyone = [u for u in levels[NotificationLevel.ALL] if u.pk not in mention_ids and u.pk not in told]
    digest = [u for u in levels[NotificationLevel.DIGEST] if u.pk not in mention_ids and u.pk not in told]
    if everyone:
        notify(everyone, ACTIVITY.code, actor=actor, activity=activity, url=url, **data)
    if digest:
        notify(digest, ACTIVITY_DIGEST.code, actor=actor, activity=activity, url=url, **data)


def _notify_groups(post: Post, actor: Any, activity: Any, url: str, already: set[int]) -> set[int]:
    """Members of each mentioned group who may read the post and did not mute that group."""
    from tribu.core.notifications.actions import notify
    from tribu.groups.models import NotificationLevel
    from tribu.groups.notifications import recipients_by_level

    told: set[int] = set()
    for mentioned_group in post._mentioned_groups:  # type: ignore[attr-defined]
        levels = recipients_by_level(mentioned_group)
        same_place = post.group_id is None or post.group_id == mentioned_group.pk
        people = [u for level, users in levels.items() if level != NotificationLevel.MUTE for u in users
                  if u.pk not in already and u.pk not in told
                  and (policies.can_read_place(u, None) if same_place and post.group_id is None
                       else same_place or policies.can_view(u, post))]
        if people:
            notify(people, GROUP_MENTION.code, actor=actor, activity=activity, url=url,
                   group=mentioned_group.name, post_id=post.pk)
            told.update(u.pk for u in people)
    return told


def _go_live(post: Post, actor: Any, verb: str) -> None:
    """Record, notify and index a post that just became published (inside the transaction)."""
    group = post.group if post.group_id else None
    activity = record(actor, verb, post, group=group, group_name=getattr(group, "name", ""), kind=post.kind)
    for user in post._mentioned:  # type: ignore[attr-defined]
        record(actor, "mention", post, group=group, mentioned_id=user.pk, mentioned=user.name,
               group_name=getattr(group, "name", ""))
    _notify(post, actor, activity)
    _index_later(post)


# --- create, publish, edit, delete -----------------------------------------------------------------


def create_post(
    author: Any,
    group: Any,
    body: str,
    *,
    kind: str = PostKind.DISCUSSION,
    title: str = "",
    link_url: str = "",
    tags: Any = (),
    cover: Any = None,
    cover_alt: str = "",
    status: str = PostStatus.PUBLISHED,
    publish_at: datetime | None = None,
    files: Any = None,
    alts: Any = None,
) -> Post:
    """``author`` posts ``body`` (Markdown, mentions as ``@[Name](user:id)`` / ``@[Name](group:id)``,
    ``#tags``) in ``group`` (None: the community feed), published now, scheduled for ``publish_at`` or
    kept as a draft. Once published, mentioned members who may read it are notified, and the group's
    members as they chose. ``post._unreached`` names the mentions that were neutralised."""
    if not policies.can_post_in(author, group):
        raise PermissionDenied(_("You may not post here."))
    kind = _clean_kind(author, group, kind)
    body = _clean_body(body)
    title = _clean_title(title, kind)
    link_url = _clean_link(link_url, kind)
    status, publish_at = _clean_schedule(status, publish_at)
    cover_alt = _check_cover(cover, cover_alt)
    with transaction.atomic():
        if group is not None:
            from tribu.groups.models import Group

            group = Group.objects.select_for_update().get(pk=group.pk)  # an archive waits for us, or we for it
            if not policies.can_post_in(author, group):
                raise PermissionDenied(_("You may not post here."))
        now = timezone.now()
        post = Post(author=author, group=group, kind=kind, status=status, title=title, body=body,
                    link_url=link_url, cover_alt=cover_alt if cover else "", publish_at=publish_at,
                    published_at=now if status == PostStatus.PUBLISHED else None, last_activity_at=now)
        if cover:
            post.cover = cover
        _render(post, author)
        post.save()
        _set_relations(post, tags)
        _attach(post, author, files, alts)
        if status == PostStatus.PUBLISHED:
            _go_live(post, author, "post.created")
        elif status == PostStatus.SCHEDULED:
            record(author, "post.scheduled", post, group=group, group_name=getattr(group, "name", ""),
                   publish_at=publish_at.isoformat())
    return post


def _attach(post: Post, actor: Any, files: Any, alts: Any) -> None:
    """Pictures and documents (checked by content, all or none) go with the post's transaction."""
    if not files:
        return
    from tribu.media.actions import attach

    try:
        attach(post, list(files), actor=actor, alts=alts)
    except ValidationError as error:
        raise ValidationError({"files": error.messages}) from None


def publish_post(actor: Any, post: Post) -> Post:
    """Its author publishes a draft or a scheduled post now."""
    if not policies.can_edit(actor, post) or post.author_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if not policies.can_post_in(actor, post.group if post.group_id else None):
        raise PermissionDenied(_("You may not post here."))
    with transaction.atomic():
        now = timezone.now()
        changed = Post.objects.filter(pk=post.pk, deleted_at__isnull=True).exclude(
            status=PostStatus.PUBLISHED).update(status=PostStatus.PUBLISHED, published_at=now, publish_at=None,
                                                last_activity_at=now)
        post.refresh_from_db()
        if changed:
            _render(post, actor)
            _go_live(post, actor, "post.published")
    return post


def publish_due(now: datetime | None = None, limit: int = 500) -> int:
    """Publish the scheduled posts whose time has come. Each post goes live once, even when two
    schedulers run at the same time: the status change is a conditional update that only one wins."""
    now = now or timezone.now()
    due = list(Post.objects.filter(status=PostStatus.SCHEDULED, publish_at__lte=now, deleted_at__isnull=True)
               .order_by("publish_at", "id").values_list("pk", flat=True)[:limit])
    published = 0
    for post_id in due:
        with transaction.atomic():
            won = Post.objects.filter(pk=post_id, status=PostStatus.SCHEDULED).update(
                status=PostStatus.PUBLISHED, published_at=F("publish_at"), last_activity_at=now)
            if not won:
                continue
            post = Post.objects.select_related("author", "group").get(pk=post_id)
            _render(post, post.author)
            _go_live(post, post.author, "post.published")
            published += 1
    return published


EDITABLE = ("body", "title", "link_url", "tags", "cover", "cover_alt", "kind", "status", "publish_at", "files",
            "alts")


def edit_post(actor: Any, post: Post, **changes: Any) -> Post:
    """Change a post's text (and, for a draft or a scheduled post, when it goes out). A published
    post keeps its previous text as a ``Revision`` for moderators; newly mentioned members are told."""
    if not policies.can_edit(actor, post):
        raise PermissionDenied
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({"__all__": [_("These fields cannot be changed: %(f)s")
                                           % {"f": ", ".join(sorted(unknown))}]})
    group = post.group if post.group_id else None
    kind = changes.get("kind", post.kind)
    if kind != post.kind:
        if post.kind == PostKind.WELCOME:
            raise ValidationError({"kind": [_("A welcome post keeps its kind.")]})
        kind = _clean_kind(actor, group, kind)
    body = _clean_body(changes["body"]) if "body" in changes else post.body
    title = _clean_title(changes.get("title", post.title), kind)
    link_url = _clean_link(changes.get("link_url", post.link_url), kind)
    was_live = post.status == PostStatus.PUBLISHED
    status, publish_at = post.status, post.publish_at
    if "status" in changes or "publish_at" in changes:
        if was_live and changes.get("status", PostStatus.PUBLISHED) != PostStatus.PUBLISHED:
            raise ValidationError({"status": [_("A published post cannot go back to draft.")]})
        if not was_live:
            status, publish_at = _clean_schedule(changes.get("status", post.status), changes.get("publish_at"))
    cover = changes.get("cover")
    cover_alt = _check_cover(cover, changes.get("cover_alt", post.cover_alt)) if cover else (
        " ".join(changes.get("cover_alt", post.cover_alt).split())[:200])
    if post.cover and not cover and not cover_alt and kind == PostKind.ARTICLE:
        raise ValidationError({"cover_alt": [_("Describe the cover image for people who cannot see it.")]})
    with transaction.atomic():
        locked = Post.objects.select_for_update(of=("self",)).select_related("group", "author").get(pk=post.pk)
        if locked.deleted_at is not None:
            raise PermissionDenied
        before_mentions = set(locked.mentions.values_list("pk", flat=True))
        text_changed = (body, title, link_url) != (locked.body, locked.title, locked.link_url)
        if was_live and text_changed:
            Revision.objects.create(post=locked, editor=actor, title=locked.title, body=locked.body)
            locked.edited_at = timezone.now()
        locked.kind, locked.body, locked.title, locked.link_url = kind, body, title, link_url
        locked.cover_alt = cover_alt
        if cover:
            locked.cover = cover
        go_live = not was_live and status == PostStatus.PUBLISHED
        locked.status, locked.publish_at = status, publish_at
        if go_live:
            locked.published_at = locked.last_activity_at = timezone.now()
            locked.publish_at = None
        _render(locked, actor)
        locked.save()
        _set_relations(locked, changes["tags"] if "tags" in changes else [t.name for t in locked.tags.all()])
        _attach(locked, actor, changes.get("files"), changes.get("alts"))
        if go_live:
            _go_live(locked, actor, "post.published")
        elif was_live:
            activity = record(actor, "post.edited", locked, group=group, group_name=getattr(group, "name", ""),
                              audit=locked.author_id != getattr(actor, "pk", None))
            new = {u.pk for u in locked._mentioned} - before_mentions  # type: ignore[attr-defined]
            if new:
                for user in locked._mentioned:  # type: ignore[attr-defined]
                    if user.pk in new:
                        record(actor, "mention", locked, group=group, mentioned_id=user.pk, mentioned=user.name,
                               group_name=getattr(group, "name", ""))
                _notify(locked, actor, activity, only=new)
            _index_later(locked)
        elif status == PostStatus.SCHEDULED and (post.status, post.publish_at) != (status, publish_at):
            record(actor, "post.scheduled", locked, group=group, group_name=getattr(group, "name", ""),
                   publish_at=publish_at.isoformat() if publish_at else "")
    return locked


def delete_post(actor: Any, post: Post) -> None:
    """Soft delete: the post leaves every feed, page, search result and the API; moderators keep the
    record in the activity log."""
    if not policies.can_delete(actor, post):
        raise PermissionDenied
    with transaction.atomic():
        changed = Post.objects.filter(pk=post.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), pinned=False, featured=False)
        if not changed:
            return
        record(actor, "post.deleted", None, group=post.group_id, post_id=post.pk,
               author_id=post.author_id, group_name=post.group.name if post.group_id else "",
               audit=post.author_id != getattr(actor, "pk", None))
        post.deleted_at = timezone.now()
        _remove_later(post)


def _toggle(actor: Any, post: Post, check: Any, field: str, value: bool, verbs: tuple[str, str]) -> Post:
    if not check(actor, post):
        raise PermissionDenied
    with transaction.atomic():
        locked = Post.objects.select_for_update(of=("self",)).select_related("group").get(pk=post.pk)
        current = locked.locked_at is not None if field == "locked_at" else getattr(locked, field)
        if current != value:
            if field == "locked_at":
                locked.locked_at = timezone.now() if value else None
            else:
                setattr(locked, field, value)
            locked.save(update_fields=[field, "updated_at"])
            record(actor, verbs[0] if value else verbs[1], locked, group=locked.group_id,
                   group_name=locked.group.name if locked.group_id else "")
    return locked


def set_pinned(actor: Any, post: Post, pinned: bool) -> Post:
    return _toggle(actor, post, policies.can_pin, "pinned", pinned, ("post.pinned", "post.unpinned"))


def set_locked(actor: Any, post: Post, locked: bool) -> Post:
    """A locked post takes no new comment (the discussion actions check ``post.is_locked``)."""
    return _toggle(actor, post, policies.can_lock, "locked_at", locked, ("post.locked", "post.unlocked"))


def set_featured(actor: Any, post: Post, featured: bool) -> Post:
    return _toggle(actor, post, policies.can_feature, "featured", featured, ("post.featured", "post.unfeatured"))


# --- the welcome post ------------------------------------------------------------------------------


def _save(author: Any, group: Any, body: str, kind: str) -> Post:
    """A published post written by the platform (or the demo), without permission checks."""
    post = Post(author=author if getattr(author, "is_authenticated", False) else None, group=group, kind=kind,
                body=body)
    _render(post, author)
    post.save()
    if post._mentioned:  # type: ignore[attr-defined]
        post.mentions.set(post._mentioned)  # type: ignore[attr-defined]
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


# --- follows ---------------------------------------------------------------------------------------


def follow_member(follower: Any, user: Any) -> bool:
    """True when the follow is new. Following yourself is refused."""
    if not policies.can_follow(follower):
        raise PermissionDenied
    if user.pk == follower.pk:
        raise ValidationError({"user": [_("You cannot follow yourself.")]})
    if not user.is_active:
        raise ValidationError({"user": [_("This member cannot be followed.")]})
    with transaction.atomic():
        _follow, created = Follow.objects.get_or_create(follower=follower, user=user)
        if created:
            record(follower, "member.followed", user, followed_id=user.pk)
    return created


def unfollow_member(follower: Any, user: Any) -> bool:
    with transaction.atomic():
        deleted, _rows = Follow.objects.filter(follower=follower, user=user).delete()
        if deleted:
            record(follower, "member.unfollowed", user, followed_id=user.pk)
    return bool(deleted)


def follow_tag(follower: Any, name: str) -> Tag:
    if not policies.can_follow(follower):
        raise PermissionDenied
    names = tag_names("", [name])
    if not names:
        raise ValidationError({"tag": [_("This is not a valid tag.")]})
    with transaction.atomic():
        tag = _tags(names)[0]
        _follow, created = Follow.objects.get_or_create(follower=follower, tag=tag)
        if created:
            record(follower, "tag.followed", tag, tag=tag.name)
    return tag


def unfollow_tag(follower: Any, tag: Tag) -> bool:
    with transaction.atomic():
        deleted, _rows = Follow.objects.filter(follower=follower, tag=tag).delete()
        if deleted:
            record(follower, "tag.unfollowed", tag, tag=tag.name)
    return bool(deleted)


# --- welcome blocks --------------------------------------------------------------------------------


def save_welcome_block(actor: Any, block: WelcomeBlock | None, **values: Any) -> WelcomeBlock:
    """Create (``block`` None) or change a welcome block of the home page (the team only)."""
    from tribu.core.markdown import render_markdown

    if not policies.can_manage_welcome_blocks(actor):
        raise PermissionDenied
    block = block or WelcomeBlock()
    for field in ("title", "body", "audience", "new_member_days", "tier", "group", "position", "active"):
        if field in values:
            setattr(block, field, values[field])
    block.title = " ".join((block.title or "").split())[:200]
    if not block.title:
        raise ValidationError({"title": [_("Give the block a title.")]})
    if len(block.body or "") > MAX_BODY:
        raise ValidationError({"body": [_("Keep a post under %(n)d characters.") % {"n": MAX_BODY}]})
    if block.audience == Audience.TIER and block.tier_id is None:
        raise ValidationError({"tier": [_("Choose the tier this block is for.")]})
    if block.audience == Audience.GROUP and block.group_id is None:
        raise ValidationError({"group": [_("Choose the group this block is for.")]})
    if block.audience != Audience.TIER:
        block.tier = None
    if block.audience != Audience.GROUP:
        block.group = None
    block.body_html = str(render_markdown(block.body))
    created = block.pk is None
    with transaction.atomic():
        block.save()
        record(actor, "welcome_block.created" if created else "welcome_block.changed", block, title=block.title,
               audit=True)
        _forget_welcome_blocks()
        transaction.on_commit(_forget_welcome_blocks)  # again: a reader may have cached the old list meanwhile
    return block


def _forget_welcome_blocks() -> None:
    from django.core.cache import cache

    from .queries import WELCOME_BLOCKS_CACHE_KEY

    cache.delete(WELCOME_BLOCKS_CACHE_KEY)


def delete_welcome_block(actor: Any, block: WelcomeBlock) -> None:
    if not policies.can_manage_welcome_blocks(actor):
        raise PermissionDenied
    with transaction.atomic():
        record(actor, "welcome_block.deleted", None, title=block.title, audit=True)
        block.delete()
        _forget_welcome_blocks()
        transaction.on_commit(_forget_welcome_blocks)
