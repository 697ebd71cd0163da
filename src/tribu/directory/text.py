"""Search text normalisation, the same in Python for what is stored and for what is searched:
lower case, accents and ligatures folded ("Ébéniste" → "ebeniste", "Cœur" → "coeur")."""

from __future__ import annotations

import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o", "ł": "l"})
MAX_WORDS = 8
MAX_WORD_LENGTH = 60


def normalise(text: str | None) -> str:
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_LIGATURES))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(folded.lower().split())


def search_words(query: str | None) -> list[str]:
    """The words of a search box, normalised, de-duplicated, at most ``MAX_WORDS``."""
    words: list[str] = []
    for word in normalise(query).split():
        word = word[:MAX_WORD_LENGTH]
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]
