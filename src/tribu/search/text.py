"""Text handling shared by both backends, so what is stored and what is searched are treated alike.

- ``fold``: lower case, accents and ligatures removed (« Événement » → "evenement"), the directory's
  normalisation.
- ``words``: the words of a text or of a search box (letters and digits; any punctuation or FTS
  syntax such as ``"``, ``NEAR(`` or ``*`` is a separator, so it can never reach the SQL).
- ``stems``: a word's French and English Snowball stems ("evenements" → {"even"},
  "running" → {"running", "run"}): the SQLite backend indexes and searches these; both backends use
  them to highlight.
- ``plain``: Markdown source to plain text (links and mentions keep their label).
- ``highlight`` / ``snippet``: escaped text where only the matching words are wrapped in ``<mark>``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape  # what django.utils.html.escape calls, without its lazy-string wrapper

import snowballstemmer
from django.utils.safestring import SafeString, mark_safe

from tribu.directory.text import normalise as fold

__all__ = ["fold", "highlight", "plain", "query_stems", "query_words", "snippet", "stems", "terms", "words"]

MAX_QUERY_WORDS = 8
MAX_WORD_LENGTH = 40
MAX_QUERY_LENGTH = 200
WORD = re.compile(r"\w+", re.UNICODE)
_FRENCH = snowballstemmer.stemmer("french")
_ENGLISH = snowballstemmer.stemmer("english")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_MARKUP = re.compile(r"[`*_#>~|<]+")


def words(text: str | None) -> list[str]:
    """Folded words of ``text``, underscores treated as separators."""
    return [w for w in WORD.findall(fold(text).replace("_", " ")) if w]


@lru_cache(maxsize=50_000)
def stems(word: str) -> tuple[str, ...]:
    """The French and English stems of a folded word (one or two values)."""
    if word.isdigit():
        return (word,)
    french = _FRENCH.stemWord(word)
    english = _ENGLISH.stemWord(word)
    return (french,) if french == english else (french, english)


def terms(text: str | None) -> str:
    """What the SQLite backend indexes for ``text``: every word's stems, in order."""
    return " ".join(s for w in words(text) for s in stems(w[:MAX_WORD_LENGTH]))


def query_words(query: str | None) -> list[str]:
    """The words of a search box, de-duplicated, at most ``MAX_QUERY_WORDS``."""
    found: list[str] = []
    for word in words((query or "")[:MAX_QUERY_LENGTH]):
        word = word[:MAX_WORD_LENGTH]
        if word not in found:
            found.append(word)
    return found[:MAX_QUERY_WORDS]


def query_stems(query_words_: list[str]) -> frozenset[str]:
    return frozenset(s for w in query_words_ for s in (w, *stems(w)))


def plain(markdown: str | None, limit: int = 20_000) -> str:
    """Markdown source as plain text: ``[label](url)`` and mentions ``@[Name](user:4)`` keep their
    label, bare URLs and markup characters go."""
    text = _LINK.sub(r"\1", (markdown or "")[: limit * 2])
    text = _URL.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    return " ".join(text.split())[:limit]


@lru_cache(maxsize=20_000)
def _matches(word: str, wanted: frozenset[str], prefix: bool = False) -> bool:
    # Cached: a page's 20 titles and snippets repeat the same few hundred words, and folding and
    # stemming each occurrence was most of the highlighting's cost.
    folded = fold(word)
    if prefix and any(folded.startswith(w) for w in wanted):
        return True
    return folded in wanted or any(s in wanted for s in stems(folded[:MAX_WORD_LENGTH]))


def highlight(text: str, wanted: frozenset[str], *, prefix: bool = False) -> SafeString:
    """``text`` escaped, with the words matching ``wanted`` (folded words and stems; with ``prefix``,
    also the words starting with one of them) in ``<mark>``."""
    out: list[str] = []
    last = 0
    for match in WORD.finditer(text):
        if wanted and _matches(match.group(), wanted, prefix):
            out.append(escape(text[last : match.start()]))
            out.append(f"<mark>{escape(match.group())}</mark>")
            last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped above


def snippet(text: str, wanted: frozenset[str], length: int = 240) -> SafeString:
    """A window of about ``length`` characters of ``text`` around its first matching word,
    highlighted; the start of the text when nothing matches."""
    if len(text) <= length:
        return highlight(text, wanted)
    start = 0
    for match in WORD.finditer(text):
        if wanted and _matches(match.group(), wanted):
            start = max(0, match.start() - length // 4)
            break
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + length // 2 else end
    piece = highlight(text[start:end], wanted)
    return mark_safe(("… " if start else "") + piece + (" …" if end < len(text) else ""))  # noqa: S308
