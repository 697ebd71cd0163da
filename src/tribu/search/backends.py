"""Matching and ranking: one interface, two small backends (chosen by the database in use).

- ``PostgresBackend``: ``vector`` holds the title (weight A), tags (B) and body (D) under the
  ``french`` and ``english`` text-search configurations, accents removed by ``unaccent`` (or a
  ``translate()`` of the common accented letters where the extension could not be created). A search
  word matches when either configuration's stem matches: ``(plainto_tsquery('french', w) ||
  plainto_tsquery('english', w))``, words ANDed; ranked with ``ts_rank``; GIN index.
- ``SqliteBackend``: the FTS5 table ``search_fts`` holds each word's French and English Snowball
  stems (computed in Python, ``text.terms``); a search word matches any of its stems, words ANDed;
  ranked with ``bm25`` (title weighted ×4).

Both receive folded words from ``text.query_words`` (letters and digits only) and always pass them as
parameters or quoted terms, so no input can change the query's syntax.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Expression, F, FloatField, QuerySet

from . import text

TABLE = "search_searchdocument"
_ACCENTS_FROM = "àâäáãåāçćčéèêëēėęíìîïīįñńóòôöõøōúùûüūýÿžźż"
_ACCENTS_TO = "aaaaaaa" "ccc" "eeeeeee" "iiiiii" "nn" "ooooooo" "uuuuu" "yy" "zzz"


class _Sql(Expression):
    """``template`` around one column of the row (resolved with the query's own table alias, so it
    also works inside subqueries) and fixed parameters."""

    def __init__(self, column: str, template: str, params: list[Any], output_field: Any) -> None:
        super().__init__(output_field=output_field)
        self.column: Any = F(column)
        self.template = template
        self.params = params

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        column_sql, column_params = compiler.compile(self.column)
        return self.template.replace("{column}", column_sql), [*column_params, *self.params]


class _Condition(_Sql):
    conditional = True

    def __init__(self, column: str, template: str, params: list[Any]) -> None:
        super().__init__(column, template, params, BooleanField())


class Backend:
    name = "base"

    def prepare(self, doc: Any) -> None:
        """Fill the backend's own columns of an unsaved document."""

    def after_write(self, ids: Iterable[int]) -> None:
        """Bring the backend's matching data up to date for these written documents."""

    def match(self, queryset: QuerySet, words: list[str], *, ranked: bool) -> QuerySet:
        """Documents matching every word; with ``ranked``, annotated with ``score`` (higher first)."""
        raise NotImplementedError

    def score(self, words: list[str]) -> Expression:
        """The relevance of a document for the words (higher first), for documents known to match."""
        raise NotImplementedError


class SqliteBackend(Backend):
    name = "sqlite-fts5"

    def prepare(self, doc: Any) -> None:
        doc.title_terms = text.terms(doc.title)
        doc.body_terms = text.terms(f"{doc.tags.replace('|', ' ')} {doc.body}")

    @staticmethod
    def expression(words: list[str]) -> str:
        return " AND ".join("(" + " OR ".join(f'"{s}"' for s in text.stems(w)) + ")" for w in words)

    def score(self, words: list[str]) -> Expression:
        return _Sql("id", "(SELECT -bm25(search_fts, 4.0, 1.0) FROM search_fts WHERE search_fts MATCH %s "
                    "AND rowid = {column})", [self.expression(words)], FloatField())

    def match(self, queryset: QuerySet, words: list[str], *, ranked: bool) -> QuerySet:
        expression = self.expression(words)
        queryset = queryset.filter(
            _Condition("id", "{column} IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)", [expression])
        )
        if ranked:
            queryset = queryset.annotate(score=self.score(words))
        return queryset


class PostgresBackend(Backend):
    name = "postgresql-fts"
    _unaccent: bool | None = None

    @classmethod
    def has_unaccent(cls) -> bool:
        if cls._unaccent is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")
                cls._unaccent = cursor.fetchone() is not None
        return cls._unaccent

    @classmethod
    def fold_sql(cls, column: str) -> str:
        if cls.has_unaccent():
            return f"unaccent({column})"
        return f"translate(lower({column}), '{_ACCENTS_FROM}', '{_ACCENTS_TO}')"

    @classmethod
    def vector_sql(cls, title: str = "title", tags: str = "tags", body: str = "body") -> str:
        """The SQL expression of a document's vector from its columns (also used by the benchmark)."""
        parts = []
        for column, weight in ((title, "A"), (f"replace({tags}, '|', ' ')", "B"), (body, "D")):
            folded = cls.fold_sql(column)
            parts += [
                f"setweight(to_tsvector('french', {folded}), '{weight}')",
                f"setweight(to_tsvector('english', {folded}), '{weight}')",
            ]
        return " || ".join(parts)

    def after_write(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        if not ids:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET vector = {self.vector_sql()} WHERE id = ANY(%s)", [ids])  # noqa: S608

    # A word that is a stop word in one language ("pour", "the") would otherwise match nearly every
    # document through the other language's vector: it is left out of the search.
    WORD_SQL = (
        "(CASE WHEN numnode(plainto_tsquery('french', %s)) = 0 OR numnode(plainto_tsquery('english', %s)) = 0 "
        "THEN ''::tsquery ELSE plainto_tsquery('french', %s) || plainto_tsquery('english', %s) END)"
    )

    @classmethod
    def tsquery(cls, words: list[str]) -> tuple[str, list[str]]:
        sql = " && ".join(cls.WORD_SQL for _ in words)
        return f"({sql})", [p for w in words for p in (w, w, w, w)]

    # The words' tsquery, computed once per set of words and passed to the searches as a constant:
    # ``plainto_tsquery`` is only STABLE, so written inline the planner cannot see the query's lexemes,
    # estimates every word at the same 0.5 % of the rows, and picks the same plan for a word in half the
    # documents as for a word in ten. A constant is estimated from the column's statistics
    # (``most_common_elems``), which lets it read the newest documents backwards and filter them when the
    # word is common, and use the GIN index when it is rare. The stems never change for a given word.
    _cache: dict[tuple[str, ...], str] = {}
    _CACHE_SIZE = 2_000

    @classmethod
    def constant(cls, words: list[str]) -> str:
        key = tuple(words)
        found = cls._cache.get(key)
        if found is None:
            sql, params = cls.tsquery(words)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT ({sql})::text", params)
                found = cursor.fetchone()[0]
            if len(cls._cache) >= cls._CACHE_SIZE:
                cls._cache.clear()
            cls._cache[key] = found
        return found

    def score(self, words: list[str]) -> Expression:
        return _Sql("vector", "ts_rank({column}, %s::tsquery)", [self.constant(words)], FloatField())

    def match(self, queryset: QuerySet, words: list[str], *, ranked: bool) -> QuerySet:
        queryset = queryset.filter(_Condition("vector", "{column} @@ %s::tsquery", [self.constant(words)]))
        if ranked:
            queryset = queryset.annotate(score=self.score(words))
        return queryset


def get_backend() -> Backend:
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteBackend()
