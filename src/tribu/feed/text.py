"""Post bodies: Markdown with mentions written ``@[Name](user:42)`` (a member) or ``@[Name](group:7)``
(a group), and ``#tags``; rendered and sanitised."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.safestring import SafeString

from tribu.core.markdown import render_markdown

MENTION_RE = re.compile(r"@\[([^\]\n]{1,150})\]\(user:(\d{1,12})\)")
GROUP_MENTION_RE = re.compile(r"@\[([^\]\n]{1,150})\]\(group:(\d{1,12})\)")
# A #tag starts a word (not part of a URL fragment, an HTML entity or a Markdown heading "# Title").
TAG_RE = re.compile(r"(?<![\w&/#])#([^\W_][\w-]{0,49})(?![\w-])", re.UNICODE)
CODE_RE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
MAX_TAGS = 10


def mention_token(user) -> str:
    name = user.name.replace("[", "(").replace("]", ")")
    return f"@[{name}](user:{user.pk})"


def group_token(group) -> str:
    name = group.name.replace("[", "(").replace("]", ")")
    return f"@[{name}](group:{group.pk})"


def mentioned_ids(body: str) -> list[int]:
    seen: dict[int, None] = {}
    for match in MENTION_RE.finditer(body or ""):
        seen.setdefault(int(match.group(2)), None)
    return list(seen)


def mentioned_group_ids(body: str) -> list[int]:
    seen: dict[int, None] = {}
    for match in GROUP_MENTION_RE.finditer(body or ""):
        seen.setdefault(int(match.group(2)), None)
    return list(seen)


def normalise_tag(name: str) -> str:
    return (name or "").strip().lstrip("#").strip().lower()[:50]


def tag_names(body: str, extra: str | list[str] | tuple[str, ...] = ()) -> list[str]:
    """The #tags of ``body`` (outside code) and of ``extra`` (a "a, b c" string or a list), lower-case,
    each once, in order of appearance."""
    names: dict[str, None] = {}
    for match in TAG_RE.finditer(CODE_RE.sub(" ", body or "")):
        names.setdefault(normalise_tag(match.group(1)), None)
    if isinstance(extra, str):
        extra = re.split(r"[\s,;]+", extra)
    for raw in extra:
        name = normalise_tag(raw)
        if name and re.fullmatch(r"[^\W_][\w-]{0,49}", name):
            names.setdefault(name, None)
    return list(names)


def render_body(body: str, known_ids: set[int] | None = None,
                groups: dict[int, str] | None = None) -> SafeString:
    """Mentions of known members become links to their profile, of known groups (id → slug) links to
    the group; the rest stays plain text."""

    def link(match: re.Match[str]) -> str:
        name, user_id = match.group(1), int(match.group(2))
        if known_ids is not None and user_id not in known_ids:
            return f"@{name}"
        return f"[@{name}]({reverse('profile:detail', args=[user_id])})"

    def group_link(match: re.Match[str]) -> str:
        name, group_id = match.group(1), int(match.group(2))
        slug = (groups or {}).get(group_id)
        if not slug:
            return f"@{name}"
        return f"[@{name}]({reverse('groups:detail', args=[slug])})"

    text = MENTION_RE.sub(link, body or "")
    text = GROUP_MENTION_RE.sub(group_link, text)
    return render_markdown(text)
