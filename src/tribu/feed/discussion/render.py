"""The comments of a discussion page as HTML, written in Python: a page shows dozens of comments and
Django's template engine spends most of the request walking the same few nodes for each of them
(the benchmark's 100-comment page). Same markup as a template would give; every value is escaped
here (``format_html`` / ``escape``) except ``body_html``, which the actions sanitised when saving.

``reactions_html`` is the Python twin of ``feed/discussion/_reactions.html`` (feed cards include that
template); a test keeps the two identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .queries import SYMBOLS, label


@dataclass
class Context:
    """What every comment of one page shares, computed once per request."""

    post: Any
    csrf_token: str
    can_comment: bool = False
    can_see_history: bool = False
    reply_to: int | None = None
    reply_body: str = ""
    reply_errors: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    csrf_input: str = ""
    comment_by: str = ""
    reply_to_name: str = ""
    strftime: str | None = None
    accepted_by: str = ""
    memo: dict[Any, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        pk = self.post.pk
        self.urls = {
            "react": reverse("feed:react", args=[pk]),
            "comment": reverse("feed:comment", args=[pk]),
            "accept": reverse("feed:accept", args=[pk]),
            "edit": reverse("feed:comment_edit", args=[pk, 0]).replace("/0/", "/{}/"),
            "delete": reverse("feed:comment_delete", args=[pk, 0]).replace("/0/", "/{}/"),
            "history": reverse("feed:comment_history", args=[pk, 0]).replace("/0/", "/{}/"),
            "profile": reverse("profile:detail", args=[0]).replace("/0/", "/{}/"),
        }
        self.labels = {k: escape(v) for k, v in {
            "deleted": _("This comment was deleted."), "deleted_label": _("Deleted comment"),
            "former": _("A former member"), "former_lower": _("a former member"), "edited": _("edited"),
            "accepted": _("Accepted answer"), "unmark": _("Unmark the answer"), "accept": _("Accept this answer"),
            "edit": _("Edit"), "the_comment": _("the comment"), "history": _("Edit history"), "delete": _("Delete"),
            "replies": _("Replies"), "reply": _("Reply"), "your_reply": _("Your reply"),
            "send_reply": _("Send the reply"), "more": _("More reactions"),
            "read_above": _("Read it at the top of the page"), "in_thread": _("See it in the thread"),
        }.items()}
        self.accepted_by = _("Accepted answer by %(name)s")
        self.comment_by = _("Comment by %(name)s")
        self.reply_to_name = _("to %(name)s")
        self.strftime = _strftime_of(get_format("SHORT_DATETIME_FORMAT"))
        self.csrf_input = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(self.csrf_token)}">'


#: Django date format characters that ``strftime`` writes the same way (zero-padded numbers).
STRFTIME = {"d": "%d", "m": "%m", "Y": "%Y", "y": "%y", "H": "%H", "i": "%M", "s": "%S"}


def _strftime_of(django_format: str) -> str | None:
    """``d/m/Y H:i`` → ``%d/%m/%Y %H:%M``; None when the format needs Django's formatter (names, a.m.)."""
    out = []
    for char in django_format:
        if char in STRFTIME:
            out.append(STRFTIME[char])
        elif char.isalpha() or char == "\\":
            return None
        else:
            out.append(char.replace("%", "%%"))
    return "".join(out)


def _when(value: Any, strftime: str | None) -> tuple[str, str]:
    local = timezone.localtime(value)
    shown = local.strftime(strftime) if strftime else date_format(local, "SHORT_DATETIME_FORMAT")
    return local.isoformat(), shown


def _button(code: str, count: int, mine: bool) -> str:
    symbol = SYMBOLS[code]
    css = "reaction reaction-mine" if mine else "reaction"
    shown = f' <span class="reaction-count" aria-hidden="true">{count}</span>' if count else ""
    pressed = "true" if mine else "false"
    name = escape(label(code, count, mine))
    return (f'<button type="submit" name="emoji" value="{code}" class="{css}" aria-pressed="{pressed}"'
            f' aria-label="{name}"><span aria-hidden="true">{symbol}</span>{shown}</button>')


def _picker(spare: tuple[str, ...], more: str) -> str:
    buttons = "".join(
        f'<button type="submit" name="emoji" value="{code}" class="reaction" aria-pressed="false" '
        f'aria-label="{escape(label(code, 0, False))}"><span aria-hidden="true">{SYMBOLS[code]}</span></button>'
        for code in spare)
    return (f'<details class="reaction-more"><summary class="reaction" aria-label="{more}" title="{more}">'
            f'<span aria-hidden="true">+</span></summary><span class="reaction-picker">{buttons}</span></details>')


def reactions_html(target: Any, summary: Any, csrf_input: str, *, more_label: str | None = None,
                   url: str | None = None, memo: dict[Any, str] | None = None) -> str:
    """The reactions of a post or comment: a form of toggle buttons for who may react, the counts for
    the others (same markup as ``_reactions.html``). ``memo`` (one per request) reuses the buttons
    already written: a page repeats the same few."""
    if not summary:
        return ""
    memo = {} if memo is None else memo
    is_comment = hasattr(target, "post_id")
    kind = "comment" if is_comment else "post"
    post_id = target.post_id if is_comment else target.pk
    box = f"reactions-{kind}-{target.pk}"
    counts, mine = summary.counts, summary.mine
    if not summary.can_react:
        spans = "".join(
            f'<span class="reaction reaction-static" role="img" '
            f'aria-label="{escape(label(code, counts[code], code in mine))}">'
            f'<span aria-hidden="true">{symbol} {counts[code]}</span></span>'
            for code, symbol in SYMBOLS.items() if counts.get(code))
        return f'<p class="reactions" id="{box}">{spans}</p>'
    url = url or reverse("feed:react", args=[post_id])
    parts = [f'<form class="reactions" id="{box}" method="post" action="{url}" hx-post="{url}" hx-target="this" '
             f'hx-swap="outerHTML">{csrf_input}']
    if is_comment:
        parts.append(f'<input type="hidden" name="comment" value="{target.pk}">')
    parts.append("\n")
    spare = []
    for code in SYMBOLS:
        count = counts.get(code, 0)
        if code == "like" or count:
            key = (code, count, code in mine)
            html = memo.get(key)
            if html is None:
                html = memo[key] = _button(*key)
            parts.append(html)
        else:
            spare.append(code)
    parts.append("\n")
    if spare:
        key = tuple(spare)
        html = memo.get(key)
        if html is None:
            more = more_label if more_label is not None else escape(_("More reactions"))
            html = memo[key] = _picker(key, more)
        parts.append(html)
    parts.append("\n</form>")
    return "".join(parts)


def comment_html(comment: Any, ctx: Context, *, anchor: str = "comment", in_thread: bool = False) -> str:
    """One comment (or reply) with its reactions and actions; a top-level comment also carries its
    replies and the reply box. ``anchor="answer"``: the accepted answer at the top of the page (in full,
    with a link to its place in the thread when ``in_thread``, that is when this page of the thread
    shows it); in the thread it is then only named, with a link back to the top."""
    lb, urls, pk = ctx.labels, ctx.urls, comment.pk
    classes = "comment" + (" comment-accepted" if comment.is_accepted else "") + (
        " comment-reply" if comment.parent_id else "")
    out = [f'<li class="{classes}" id="{anchor}-{pk}">']
    author = comment.author if comment.author_id else None
    name = escape(author.name) if author is not None else ""
    if comment.deleted_at is not None:
        out.append(f'<article aria-label="{lb["deleted_label"]}"><p class="comment-deleted">{lb["deleted"]}</p>'
                   f'</article>')
    elif comment.is_accepted and anchor == "comment":
        # The page shows the accepted answer in full at the top: here, in its place in the thread (with
        # its replies), it is named and linked, not repeated.
        shown_name = author.name if author is not None else _("a former member")
        who = f'<a href="{urls["profile"].format(author.pk)}">{name}</a>' if author is not None else lb["former"]
        out.append(f'<article aria-label="{escape(ctx.accepted_by % {"name": shown_name})}">'
                   f'<p class="comment-byline comment-accepted-stub">'
                   f'<span class="feed-badge feed-badge-solved">✓ {lb["accepted"]}</span> {who} · '
                   f'<a class="linkish" href="#answer-{pk}">{lb["read_above"]}</a></p></article>')
    else:
        label = escape(ctx.comment_by % {"name": author.name if author else _("a former member")})
        iso, shown = _when(comment.created_at, ctx.strftime)
        if author is not None:
            who = f'<a href="{urls["profile"].format(author.pk)}">{name}</a>'
            initials = escape(author.initials)
        else:
            who, initials = lb["former"], "·"
        edited = f' · <span class="comment-edited">{lb["edited"]}</span>' if comment.edited_at else ""
        badge = (f'<span class="feed-badge feed-badge-solved">✓ {lb["accepted"]}</span>'
                 if comment.is_accepted else "")
        out.append(
            f'<article aria-label="{label}"><header class="comment-head">'
            f'<span class="avatar avatar-small" aria-hidden="true">{initials}</span>'
            f'<p class="comment-byline">{who} · <a class="comment-time" href="#comment-{pk}">'
            f'<time datetime="{iso}">{shown}</time></a>{edited}{badge}</p></header>'
            f'<div class="prose comment-body">{comment.body_html}</div><footer class="comment-foot">')
        out.append(reactions_html(comment, comment.summary, ctx.csrf_input, more_label=lb["more"], url=urls["react"],
                                  memo=ctx.memo))
        if anchor == "answer" and in_thread:
            out.append(f'<a class="linkish" href="#comment-{pk}">{lb["in_thread"]}</a>')
        if comment.can_accept:
            if comment.is_accepted:
                inner = (f'<input type="hidden" name="value" value="0"><button type="submit" class="linkish">'
                         f'{lb["unmark"]}</button>')
            else:
                inner = (f'<input type="hidden" name="comment" value="{pk}"><button type="submit" '
                         f'class="linkish comment-accept">{lb["accept"]}</button>')
            out.append(f'<form method="post" action="{urls["accept"]}">{ctx.csrf_input}{inner}</form>')
        if comment.can_edit:
            out.append(f'<a class="linkish" href="{urls["edit"].format(pk)}">{lb["edit"]}'
                       f'<span class="sr-only"> — {lb["the_comment"]}</span></a>')
        if comment.edited_at and ctx.can_see_history:
            out.append(f'<a class="linkish" href="{urls["history"].format(pk)}">{lb["history"]}</a>')
        if comment.can_delete:
            out.append(f'<form method="post" action="{urls["delete"].format(pk)}">{ctx.csrf_input}'
                       f'<button type="submit" class="linkish linkish-danger">{lb["delete"]}'
                       f'<span class="sr-only"> — {lb["the_comment"]}</span></button></form>')
        out.append("</footer></article>")
    if anchor == "comment" and not comment.parent_id:
        replies = getattr(comment, "shown_replies", [])
        if replies:
            out.append(f'<ol class="comment-replies" aria-label="{lb["replies"]}">')
            out.extend(comment_html(reply, ctx) for reply in replies)
            out.append("</ol>")
        if ctx.can_comment and comment.deleted_at is None:
            out.append(_reply_box(comment, ctx, author.name if author is not None else _("a former member")))
    out.append("</li>")
    return "".join(out)


def _reply_box(comment: Any, ctx: Context, name: str) -> str:
    lb, pk = ctx.labels, comment.pk
    mine = ctx.reply_to == pk
    errors = ""
    invalid = ""
    if mine and ctx.reply_errors:
        invalid = f' aria-invalid="true" aria-describedby="reply-{pk}-error"'
        errors = (f'<div class="errors" role="alert" id="reply-{pk}-error">'
                  + "".join(f"<p>{escape(e)}</p>" for e in ctx.reply_errors) + "</div>")
    to = escape(ctx.reply_to_name % {"name": name})
    return (
        f'<details class="comment-reply-box"{" open" if mine else ""}><summary class="linkish">{lb["reply"]}'
        f'<span class="sr-only"> — {to}</span></summary>'
        f'<form method="post" action="{ctx.urls["comment"]}" class="comment-form">{ctx.csrf_input}'
        f'<input type="hidden" name="parent" value="{pk}">'
        f'<label for="reply-{pk}" class="sr-only">{lb["your_reply"]}</label>'
        f'<textarea id="reply-{pk}" name="body" rows="3" maxlength="10000" required{invalid}>'
        f'{escape(ctx.reply_body) if mine else ""}</textarea>{errors}'
        f'<button type="submit" class="button button-small">{lb["send_reply"]}</button></form></details>')


def comments_html(comments: list[Any], ctx: Context, *, next_after: int | None = None) -> SafeString:
    """The ``<li>`` of a page of comments and, when more follow, the "show more" item."""
    out = [comment_html(c, ctx) for c in comments]
    if next_after:
        url = reverse("feed:detail", args=[ctx.post.pk])
        out.append(f'<li class="comments-more"><a class="button button-ghost" href="{url}?after={next_after}#comments"'
                   f' hx-get="{url}?after={next_after}" hx-target="closest li" hx-swap="outerHTML">'
                   f'{escape(_("Show more comments"))}</a></li>')
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped; body_html was sanitised on save
