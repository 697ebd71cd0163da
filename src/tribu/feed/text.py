"""Post bodies: Markdown with mentions written ``@[Name](user:42)``, rendered and sanitised."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.safestring import SafeString

from tribu.core.markdown import render_markdown

MENTION_RE = re.compile(r"@\[([^\]\n]{1,150})\]\(user:(\d{1,12})\)")


def mention_token(user) -> str:
    name = user.name.replace("[", "(").replace("]", ")")
    return f"@[{name}](user:{user.pk})"


def mentioned_ids(body: str) -> list[int]:
    seen: dict[int, None] = {}
    for match in MENTION_RE.finditer(body or ""):
        seen.setdefault(int(match.group(2)), None)
    return list(seen)


def render_body(body: str, known_ids: set[int] | None = None) -> SafeString:
    """Mentions of known members become links to their profile; the rest stays plain text."""

    def link(match: re.Match[str]) -> str:
        name, user_id = match.group(1), int(match.group(2))
        if known_ids is not None and user_id not in known_ids:
            return f"@{name}"
        return f"[@{name}]({reverse('profile:detail', args=[user_id])})"

    return render_markdown(MENTION_RE.sub(link, body or ""))
