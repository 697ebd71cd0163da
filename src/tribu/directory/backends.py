"""Text matching on the normalised search texts: one interface, two small backends.

- PostgreSQL: ``LIKE '%word%'`` served by the trigram GIN indexes (``pg_trgm``, migration 0002),
  so a fragment of a name, a skill or a place is found without scanning the table.
- SQLite: the same ``LIKE`` on the normalised text (a scan; fine for an embedded community).

Both store and search the same accent-free, lower-case text (``text.normalise``), so "ebeniste"
finds « Ébéniste » on either.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet


class LikeBackend:
    name = "sqlite-like"

    def match(self, queryset: QuerySet, column: str, words: list[str]) -> QuerySet:
        for word in words:
            queryset = queryset.filter(**{f"{column}__contains": word})
        return queryset


class TrigramBackend(LikeBackend):
    name = "postgresql-trigram"

    def match(self, queryset: QuerySet, column: str, words: list[str]) -> QuerySet:
        # Words of one or two characters cannot use a trigram index alone; they still narrow the
        # result once the longer words have.
        longest_first = sorted(words, key=len, reverse=True)
        return super().match(queryset, column, longest_first)


def get_backend() -> LikeBackend:
    return TrigramBackend() if connection.vendor == "postgresql" else LikeBackend()
