"""Feed cards as HTML, written in Python: the home feed shows 20 cards and Django's template engine
spent two thirds of the page's CPU walking ``feed/_card.html``'s nodes for each of them (the
benchmark's home page). Same markup as the template (a test keeps the two identical); every value
is escaped here (``escape``) except ``body_html``, which the actions sanitised when saving. The rare
link card and gallery still come from their templates.

Use: ``attach(posts, request)`` after ``queries.cards`` sets ``post.card_html``; ``_stream.html`` and
``index.html`` print it and fall back to the template for a post without it.
"""

from __future__ import annotations

from html import escape as _html_escape
from typing import Any

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .discussion.render import _strftime_of, _when, reactions_html


def escape(value: Any) -> str:
    """``django.utils.html.escape`` without its lazy-string wrapper (the same characters escaped, as
    plain text; the card is marked safe as a whole)."""
    return _html_escape(str(value))


class _Shared:
    """What every card of one page shares, computed once per request."""

    def __init__(self, request: Any) -> None:
        from django.utils.formats import get_format

        from tribu.core.community import get_community

        self.request = request
        self.csrf_input = (f'<input type="hidden" name="csrfmiddlewaretoken" '
                           f'value="{escape(get_token(request))}">')
        self.next_input = f'<input type="hidden" name="next" value="{escape(request.get_full_path())}">'
        self.community = escape(getattr(get_community(), "name", ""))
        self.strftime = _strftime_of(get_format("SHORT_DATETIME_FORMAT"))
        self.memo: dict[Any, str] = {}
        self.kinds: dict[str, str] = {}  # a kind's label: Django's get_FIELD_display is costly per call
        self.groups: dict[str, str] = {}  # a group's address by slug
        self.urls = {name: reverse(name, args=[0]).replace("/0/", "/{}/") for name in (
            "profile:detail", "feed:follow_member", "feed:edit", "feed:history", "feed:pin", "feed:feature",
            "feed:lock", "feed:delete")}
        self.labels = {k: escape(v) for k, v in {
            "community": _("Community"), "pinned": _("Pinned"), "featured": _("Featured"), "solved": _("Solved"),
            "locked": _("Locked"), "read_more": _("Read more"), "the_post": _("the post"), "tags": _("Tags"),
            "more_actions": _("More actions"), "edit": _("Edit"), "history": _("Edit history"),
            "unpin": _("Unpin"), "pin": _("Pin to the top"), "unfeature": _("Stop featuring"),
            "feature": _("Feature"), "unlock": _("Unlock"), "lock": _("Lock comments"), "delete": _("Delete"),
            "more_reactions": _("More reactions"),
        }.items()}

    def kind(self, post: Any) -> str:
        label = self.kinds.get(post.kind)
        if label is None:
            label = self.kinds[post.kind] = escape(post.get_kind_display())
        return label

    def url(self, name: str, pk: int) -> str:
        return self.urls[name].format(pk)


def _if(condition: Any, text: str) -> str:
    return text if condition else ""


def _form(shared: _Shared, action: str, value: str | None, label: str, css: str = "linkish") -> str:
    hidden = f'<input type="hidden" name="value" value="{value}">' if value is not None else ""
    return (f'<form method="post" action="{action}">{shared.csrf_input}{shared.next_input}{hidden}'
            f'<button type="submit" class="{css}">{label}</button></form>')


def _menu(post: Any, shared: _Shared) -> str:
    if not (post.can_edit or post.can_moderate or post.can_follow_author):
        return "      \n"
    lab = shared.labels
    follow = ""
    if post.can_follow_author:
        name = {"name": escape(post.author.name)}
        label = _("Stop following %(name)s") % name if post.follows_author else _("Follow %(name)s") % name
        follow = _form(shared, shared.url("feed:follow_member", post.author_id), None, label).replace(
            '<button', f'<input type="hidden" name="follow" value="{"0" if post.follows_author else "1"}"><button', 1)
    edit = f'<a href="{shared.url("feed:edit", post.pk)}">{lab["edit"]}</a>' if post.can_edit else ""
    moderate = "\n"
    if post.can_moderate:
        history = f'<a href="{shared.url("feed:history", post.pk)}">{lab["history"]}</a>' if post.edited_at else ""
        moderate = (
            "\n"
            f"          {history}\n"
            f"          {_form(shared, shared.url('feed:pin', post.pk), '0' if post.pinned else '1',
                               lab['unpin'] if post.pinned else lab['pin'])}\n"
            f"          {_form(shared, shared.url('feed:feature', post.pk), '0' if post.featured else '1',
                               lab['unfeature'] if post.featured else lab['feature'])}\n"
            f"          {_form(shared, shared.url('feed:lock', post.pk), '0' if post.locked_at else '1',
                               lab['unlock'] if post.locked_at else lab['lock'])}\n"
            "          \n")
    delete = (_form(shared, shared.url("feed:delete", post.pk), None, lab["delete"], "linkish linkish-danger")
              if post.can_edit else "")
    return (
        "      \n"
        '      <details class="feed-menu">\n'
        f'        <summary class="button button-small button-ghost" aria-label="{lab["more_actions"]}">'
        '<span aria-hidden="true">•••</span></summary>\n'
        '        <div class="feed-menu-panel">\n'
        f"          {follow}\n"
        f"          {edit}\n"
        f"          {moderate}"
        f"          {delete}\n"
        "        </div>\n"
        "      </details>\n"
        "      \n")


def card_html(post: Any, shared: _Shared) -> str:
    """One card, as ``feed/_card.html`` writes it for a post decorated by ``queries.cards``."""
    lab = shared.labels
    pk = post.pk
    kind = escape(post.kind)
    author = post.author if post.author_id else None
    css = f"card feed-card feed-{kind}{_if(post.pinned, ' feed-pinned')}{_if(post.featured, ' feed-featured')}"
    if author is not None:
        byline = (f'<a class="feed-author" href="{shared.url("profile:detail", post.author_id)}">'
                  f"{escape(author.name)}</a>")
    else:
        byline = f'<span class="feed-author">{shared.community}</span>'
    if post.group_id:
        slug = post.group.slug
        address = shared.groups.get(slug) or shared.groups.setdefault(slug, reverse("groups:detail", args=[slug]))
        place = f'<a href="{address}">{escape(post.group.name)}</a>'
    else:
        place = lab["community"]
    iso, shown = _when(post.published_at, shared.strftime)
    url = escape(post.url)
    cover = ""
    if post.kind == "article" and post.cover:
        cover = (f'<a href="{url}" class="feed-cover" tabindex="-1"><img src="{escape(post.cover.url)}" '
                 f'alt="{escape(post.cover_alt)}" loading="lazy"></a>')
    title = escape(post.title or Truncator(post.plain_text).words(12, truncate=" …"))
    if post.whole:
        body = f'<div class="prose feed-body">{post.body_html}</div>\n    \n'
    else:
        excerpt = escape(Truncator(post.plain_text).chars(320))
        sr = escape(post.title) if post.title else lab["the_post"]
        body = (f'<p class="feed-excerpt">{excerpt} <a href="{url}">{lab["read_more"]}'
                f'<span class="sr-only"> — {sr}</span></a></p>\n')
    link = ""
    if post.link_url:
        if post.link_card:
            link = render_to_string("media/_link_card.html", {"card": post.link_card}, request=shared.request)
        else:
            link = (f'<p class="feed-link"><a href="{escape(post.link_url)}" rel="noopener noreferrer nofollow ugc">'
                    f"{escape(Truncator(post.link_url).chars(80))}</a></p>")
    gallery = ""
    if post.attachments:
        gallery = render_to_string("media/_gallery.html", {"attachments": post.attachments}, request=shared.request)
    tags = list(post.tags.all())
    tag_list = ""
    if tags:
        items = "".join(f'<li><a href="{escape(reverse("feed:tag", args=[t.name]))}">#{escape(t.name)}</a></li>'
                        for t in tags)
        tag_list = f'<ul class="feed-tags" aria-label="{lab["tags"]}">{items}</ul>'
    reactions = reactions_html(post, post.reaction_summary, shared.csrf_input, more_label=lab["more_reactions"],
                               memo=shared.memo)
    comments = ngettext("%(counter)s comment", "%(counter)s comments", post.comment_count) % {
        "counter": post.comment_count}
    solved = f'<span class="feed-badge feed-badge-solved">✓ {lab["solved"]}</span>'
    return (
        f'<li class="{css}" id="post-{pk}">\n'
        f'  <article aria-labelledby="post-{pk}-title">\n'
        '    <header class="feed-card-head">\n'
        f'      <span class="avatar avatar-small" aria-hidden="true">'
        f'{escape(author.initials) if author is not None else "·"}</span>\n'
        '      <p class="feed-byline">\n'
        f"        {byline}\n"
        f'        <span class="feed-place">{place}\n'
        f'        · <a class="feed-permalink" href="{url}"><time datetime="{iso}">{escape(shown)}</time></a></span>\n'
        "      </p>\n"
        '      <p class="feed-badges">\n'
        f'        {_if(post.pinned, f"<span class=\"feed-badge feed-badge-pin\">{lab['pinned']}</span>")}\n'
        f'        {_if(post.featured, f"<span class=\"feed-badge feed-badge-featured\">{lab['featured']}</span>")}\n'
        f'        <span class="feed-badge feed-badge-{kind}">{shared.kind(post)}</span>\n'
        f'        {_if(post.kind == "question" and post.solved_at, solved)}\n'
        f'        {_if(post.locked_at, f"<span class=\"feed-badge feed-badge-locked\">{lab['locked']}</span>")}\n'
        "      </p>\n"
        "    </header>\n"
        f"    {cover}\n"
        f'    <h2 class="feed-title{_if(not post.title, " sr-only")}" id="post-{pk}-title"><a href="{url}"'
        f'{_if(not post.title, " tabindex=\"-1\"")}>{title}</a></h2>\n'
        f"    {body}"
        f"    {link}\n"
        f"    {gallery}\n"
        f"    {tag_list}\n"
        '    <footer class="feed-card-foot">\n'
        f"      {reactions}\n\n"  # the included template ends with a newline
        f'      <a class="feed-comments" href="{url}#comments">{comments}</a>\n'
        f"{_menu(post, shared)}"
        "    </footer>\n"
        "  </article>\n"
        "</li>\n")


def attach(posts: list[Any], request: Any) -> list[Any]:
    """Set ``post.card_html`` on each post of a page (decorated by ``queries.cards``)."""
    if not posts:
        return posts
    shared = _Shared(request)
    for post in posts:
        post.card_html = mark_safe(card_html(post, shared))  # noqa: S308 - every value is escaped above
    return posts


def cards_html(posts: list[Any], request: Any) -> SafeString:
    attach(posts, request)
    return mark_safe("".join(p.card_html for p in posts))  # noqa: S308 - escaped by card_html
