"""Read side of the feed: a group's posts, the member's home feed, a tag's posts, drafts, the
unanswered list, mention suggestions and welcome blocks — each a bounded number of queries whatever
its length (keyset paging: the URL carries a cursor, so a reload keeps the reader's place).

Only live posts (published, not deleted) are listed, and only those of places the reader may read:
the community feed (everyone with an account) and ``groups.queries.readable_groups(user)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from tribu.core import policies as core_policies
from tribu.groups import policies as group_policies

from .models import Audience, Follow, Post, PostKind, PostStatus, Tag, WelcomeBlock

PAGE_SIZE = 20
FEED_SIZE = 20
PINNED_ON_HOME = 5
EXCERPT_BODY = 600  # longer bodies show an excerpt on cards
SORTS = ("latest", "activity")
UNANSWERED_HOURS = (6, 24, 48, 24 * 7)
DEFAULT_UNANSWERED_HOURS = 24


def live() -> QuerySet[Post]:
    return Post.objects.filter(status=PostStatus.PUBLISHED, deleted_at__isnull=True)


def group_posts(group: Any, *, with_subgroups_of: Any = None) -> QuerySet[Post]:
    """The group's live posts; with ``with_subgroups_of=user``, also those of its sub-groups that user may read."""
    if with_subgroups_of is None:
        posts = live().filter(group=group)
    else:
        from tribu.groups.queries import readable_groups

        posts = live().filter(
            group__in=readable_groups(with_subgroups_of).filter(path__startswith=group.path).values("pk")
        )
    return _cards(posts).order_by("-pinned", "-published_at", "-id")


def page_of(rows: Any, number: Any) -> Page:
    return Paginator(rows, PAGE_SIZE).get_page(number)


# --- visibility ------------------------------------------------------------------------------------


def readable_q(user: Any) -> Q:
    """Posts in places ``user`` may read (the community feed and their readable groups), in SQL."""
    if not core_policies.is_member_area_allowed(user):
        return Q(pk__in=[])
    if group_policies.viewer(user).team:
        return Q()
    from tribu.groups.queries import readable_groups

    return Q(group__isnull=True) | Q(group__in=readable_groups(user).values("pk"))


def visible_posts(user: Any) -> QuerySet[Post]:
    return live().filter(readable_q(user))


# --- cursors ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    at: datetime
    pk: int

    def encode(self) -> str:
        return f"{int(self.at.timestamp() * 1_000_000)}.{self.pk}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """None for an empty or malformed cursor (the first page is shown)."""
        try:
            micros, pk = (text or "").split(".")
            at = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
            return cls(at=at, pk=int(pk))
        except (ValueError, OverflowError, OSError):
            return None


def _field(sort: str) -> str:
    return "last_activity_at" if sort == "activity" else "published_at"


def _after(posts: QuerySet[Post], sort: str, cursor: Cursor | None) -> QuerySet[Post]:
    """The posts that come after ``cursor`` in the ``sort`` order (all of them without a cursor)."""
    if cursor is None:
        return posts
    field = _field(sort)
    return posts.filter(Q(**{f"{field}__lt": cursor.at}) | Q(**{field: cursor.at, "pk__lt": cursor.pk}))


def _keyset(posts: QuerySet[Post], sort: str, cursor: Cursor | None, size: int) -> tuple[list[Post], str | None]:
    field = _field(sort)
    rows = list(_after(posts, sort, cursor).order_by(f"-{field}", "-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = Cursor(getattr(rows[-1], field), rows[-1].pk).encode() if more and rows else None
    return rows, next_cursor


def _tags() -> Prefetch:
    return Prefetch("tags", queryset=Tag.objects.order_by("name"))


def _cards(posts: QuerySet[Post], *, tags: bool = True) -> QuerySet[Post]:
    """With the author and the group; the tags too, unless ``tags=False`` (``decorate`` then loads the
    tags of a whole page in one query: the home page's stream and pinned posts together)."""
    posts = posts.select_related("author", "group")
    return posts.prefetch_related(_tags()) if tags else posts


# --- the home feed ---------------------------------------------------------------------------------


def home_q(user: Any, *, tagged_among: QuerySet[Post] | None = None, sort: str = "latest",
           limit: int | None = None) -> Q:
    """What the member's home feed gathers: the community feed (announcements included), their groups,
    the members and tags they follow. Visibility is applied on top (``readable_q``).

    With ``tagged_among`` (the page's candidates: visible, after the cursor) and ``limit``, the followed
    tags bring only the newest ``limit`` of those candidates, in their own small ``ORDER BY … LIMIT``:
    the page cannot hold a tagged post that is not among them, and PostgreSQL then probes the tags of
    the few rows it reads (as the bare SQL does) instead of hashing every post of a popular tag on each
    page (2.3 of the query's 3.7 ms at 1,000,000 posts)."""
    v = group_policies.viewer(user)
    followed_users = Follow.objects.filter(follower_id=user.pk, user__isnull=False).values("user_id")
    followed_tags = Follow.objects.filter(follower_id=user.pk, tag__isnull=False).values("tag_id")
    tagged = Post.tags.through.objects.filter(tag_id__in=followed_tags).values("post_id")
    if tagged_among is not None and limit is not None:
        field = _field(sort)
        tagged = tagged_among.filter(pk__in=tagged).order_by(f"-{field}", "-id").values("pk")[:limit]
    q = Q(group__isnull=True) | Q(author_id__in=followed_users) | Q(pk__in=tagged)
    if v.roles:
        q |= Q(group_id__in=list(v.roles))
    return q


def home_feed(user: Any, *, sort: str = "latest", cursor: Cursor | None = None,
              size: int = FEED_SIZE) -> tuple[list[Post], str | None]:
    # Pinned community posts lead the first page (``pinned_on_home``) instead of appearing in the stream.
    # Welcome posts stay in their group's feed: on the home page one newcomer after another would bury
    # the conversations; a member still finds their own welcome there.
    own_welcome = Post.mentions.through.objects.filter(user_id=user.pk).values("post_id")
    shown = (visible_posts(user).exclude(pinned=True, group__isnull=True)
             .exclude(Q(kind=PostKind.WELCOME) & ~Q(pk__in=own_welcome)))
    gathered = home_q(user, tagged_among=_after(shown, sort, cursor), sort=sort, limit=size + 1)
    return _keyset(_cards(shown.filter(gathered), tags=False), sort, cursor, size)


def pinned_on_home(user: Any) -> list[Post]:
    """Pinned community posts: readable by whoever may enter the member area (``readable_q`` always
    lets the community feed through), so the groups' visibility filter is not built for them."""
    if not core_policies.is_member_area_allowed(user):
        return []
    pinned = live().filter(pinned=True, group__isnull=True)
    return list(_cards(pinned, tags=False).order_by("-published_at", "-id")[:PINNED_ON_HOME])


def tag_feed(user: Any, tag: Tag, *, sort: str = "latest", cursor: Cursor | None = None,
             size: int = FEED_SIZE) -> tuple[list[Post], str | None]:
    tagged = Post.tags.through.objects.filter(tag_id=tag.pk).values("post_id")
    return _keyset(_cards(visible_posts(user).filter(pk__in=tagged)), sort, cursor, size)


def tag_named(name: str) -> Tag | None:
    from .text import normalise_tag

    return Tag.objects.filter(name=normalise_tag(name)).first()


def follows_tag(user: Any, tag: Tag) -> bool:
    return Follow.objects.filter(follower_id=user.pk, tag=tag).exists()


def follows_member(user: Any, member_id: int) -> bool:
    return Follow.objects.filter(follower_id=user.pk, user_id=member_id).exists()


def cards(posts: list[Post], user: Any) -> list[Post]:
    """Posts ready for ``feed/_card.html`` (a page of a group's feed, of the home feed…): decorated,
    with what ``user`` may do with each."""
    from . import policies

    decorate(posts, user)
    for post in posts:
        post.can_edit = policies.can_edit(user, post)  # type: ignore[attr-defined]
        post.can_moderate = policies.can_pin(user, post)  # type: ignore[attr-defined]
    return posts


def decorate(posts: list[Post], user: Any) -> list[Post]:
    """What a card shows beyond the row: its tags when not loaded yet (one query for the whole list),
    its address, the reactions summary (one query), the attachments (one query), the link cards (one
    query, only when a link is listed) and whether the body is shown whole or as an excerpt."""
    if not posts:
        return posts
    from tribu.feed.discussion.queries import reaction_summaries
    from tribu.media.links import cards_for
    from tribu.media.queries import attachments_for

    untagged = [p for p in posts if "tags" not in getattr(p, "_prefetched_objects_cache", {})]
    if untagged:
        prefetch_related_objects(untagged, _tags())
    summaries = reaction_summaries(posts, user)
    links = [p.link_url for p in posts if p.link_url]
    cards = cards_for(links, fetch_missing=False) if links else {}
    files = attachments_for(posts)
    from .actions import post_url

    authors = {p.author_id for p in posts if p.author_id and p.author_id != getattr(user, "pk", None)}
    followed = set(Follow.objects.filter(follower_id=user.pk, user_id__in=authors).values_list("user_id", flat=True)
                   ) if authors else set()
    for post in posts:
        post.can_follow_author = post.author_id in authors  # type: ignore[attr-defined]
        post.follows_author = post.author_id in followed  # type: ignore[attr-defined]
        post.url = post_url(post)  # type: ignore[attr-defined]
        post.attachments = files.get(post.pk, [])  # type: ignore[attr-defined]
        post.reaction_summary = summaries.get(post.pk)  # type: ignore[attr-defined]
        post.link_card = cards.get(post.link_url) if post.link_url else None  # type: ignore[attr-defined]
        post.whole = len(post.body or "") <= EXCERPT_BODY and post.kind != PostKind.ARTICLE  # type: ignore[attr-defined]
    return posts


# --- drafts, unanswered ----------------------------------------------------------------------------


def drafts(user: Any) -> QuerySet[Post]:
    return (Post.objects.filter(author_id=user.pk, deleted_at__isnull=True)
            .exclude(status=PostStatus.PUBLISHED).select_related("group").order_by("-updated_at", "-id"))


def animated_groups(user: Any) -> QuerySet[Any]:
    """The groups whose unanswered posts ``user`` watches: every group for the team, else the groups
    (and sub-groups) they own or animate."""
    from tribu.groups.models import Group

    v = group_policies.viewer(user)
    if v.team:
        return Group.objects.filter(archived_at__isnull=True)
    if not v.lead_paths:
        return Group.objects.none()
    q = Q(pk__in=[])
    for path in v.lead_paths:
        q |= Q(path__startswith=path)
    return Group.objects.filter(q, archived_at__isnull=True)


def unanswered(user: Any, *, hours: int = DEFAULT_UNANSWERED_HOURS, group_id: int | None = None) -> QuerySet[Post]:
    """Questions and discussions with no comment ``hours`` after they went out, oldest first, in the
    groups ``user`` animates (and the community feed for the team)."""
    v = group_policies.viewer(user)
    if not (v.team or v.lead_paths):
        return Post.objects.none()
    since = timezone.now() - timedelta(hours=hours)
    posts = live().filter(kind__in=[PostKind.QUESTION, PostKind.DISCUSSION], comment_count=0, solved_at__isnull=True,
                          published_at__lte=since)
    groups = animated_groups(user)
    if group_id is not None:
        posts = posts.filter(group__in=groups.filter(pk=group_id).values("pk"))
    elif v.team:
        posts = posts.filter(Q(group__isnull=True) | Q(group__in=groups.values("pk")))
    else:
        posts = posts.filter(group__in=groups.values("pk"))
    return posts.select_related("author", "group").order_by("published_at", "id")


# --- mentions --------------------------------------------------------------------------------------


def mention_suggestions(user: Any, q: str, group: Any, *, limit: int = 8) -> list[dict[str, Any]]:
    """Members whose name starts a word with ``q`` and who may read the place (``group`` None: the
    community feed), as ``{"id", "name", "token", "avatar"}``; groups ``user`` may mention too."""
    from tribu.accounts.models import User
    from tribu.groups.models import Group, GroupMembership, Visibility

    from .text import group_token, mention_token

    q = " ".join((q or "").split())[:50].lstrip("@")
    if not q:
        return []
    people = User.objects.filter(is_active=True).filter(
        Q(display_name__istartswith=q) | Q(display_name__icontains=f" {q}") | Q(first_name__istartswith=q)
        | Q(last_name__istartswith=q)).select_related("profile").order_by("display_name", "id")
    if group is not None and group.effective_visibility != Visibility.PUBLIC:
        insiders = GroupMembership.objects.filter(group=group).values("user_id")
        people = people.filter(Q(pk__in=insiders) | Q(role__in=["admin", "staff"]))
    elif group is None:
        people = people.exclude(profile__hidden_from_directory=True)
    found: list[dict[str, Any]] = []
    for person in people[: limit * 3]:
        if group is not None and not group_policies.can_view(person, group):
            continue
        photo = getattr(getattr(person, "profile", None), "photo_thumbnail", None)
        found.append({"id": person.pk, "name": person.name, "token": mention_token(person),
                      "avatar": photo.url if photo else "", "kind": "member"})
        if len(found) >= limit:
            break
    from . import policies

    groups = Group.objects.filter(name__icontains=q, archived_at__isnull=True).order_by("name")[:20]
    for candidate in groups:
        if len(found) >= limit + 3:
            break
        if policies.can_mention_group(user, candidate) and group_policies.knows_exists(user, candidate):
            found.append({"id": candidate.pk, "name": candidate.name, "token": group_token(candidate), "avatar": "",
                          "kind": "group"})
    return found


# --- welcome blocks --------------------------------------------------------------------------------


WELCOME_BLOCKS_CACHE_KEY = "feed:welcome-blocks"


def active_welcome_blocks() -> list[WelcomeBlock]:
    """Every shown block, from the cache once warm (the home page asks on every visit); the welcome
    block actions forget the cached list when one changes."""
    from django.core.cache import cache

    blocks = cache.get(WELCOME_BLOCKS_CACHE_KEY)
    if blocks is None:
        blocks = list(WelcomeBlock.objects.filter(active=True).order_by("position", "id"))
        cache.set(WELCOME_BLOCKS_CACHE_KEY, blocks, 3600)
    return blocks


def welcome_blocks_for(user: Any) -> list[WelcomeBlock]:
    """The shown blocks whose audience includes ``user``: no query once the list is cached, plus the
    member's groups or tiers when a block targets one."""
    if not core_policies.is_member_area_allowed(user):
        return []
    blocks = active_welcome_blocks()
    if not blocks:
        return []
    tiers: set[int] | None = None
    now = timezone.now()
    shown = []
    for block in blocks:
        if block.audience == Audience.EVERYONE:
            shown.append(block)
        elif block.audience == Audience.NEW_MEMBERS:
            if user.date_joined and now - user.date_joined <= timedelta(days=block.new_member_days):
                shown.append(block)
        elif block.audience == Audience.GROUP:
            if block.group_id in group_policies.viewer(user).roles:
                shown.append(block)
        elif block.audience == Audience.TIER:
            if tiers is None:
                from tribu.memberships.access import effective_tier_ids

                tiers = set(effective_tier_ids(user))
            if block.tier_id in tiers:
                shown.append(block)
    return shown


def postable_groups(user: Any) -> QuerySet[Any]:
    """Groups ``user`` may post in, for the composer's place picker: their own active groups."""
    from tribu.groups.models import Group

    v = group_policies.viewer(user)
    return Group.objects.filter(pk__in=list(v.roles), archived_at__isnull=True).order_by("name")
