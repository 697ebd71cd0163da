"""The search index: one ``SearchDocument`` per searchable thing (a live post, a comment of a live
post, a library resource, an event, a group), rebuilt from its source at any time
(``tribu search_reindex``), so it holds no data of its own.

Visibility is not decided here: a document carries what the rules need (its group, the tiers that
open it, whether it is the teaser of tier-gated content) and ``queries.search`` applies the same
rules as the pages in the SQL of every search, counts included. Events and groups are checked against
their live rows (``events.queries.visible_q``, ``groups.queries.visible_groups``); members are not
indexed here at all: search reads the directory's own index with the directory's rules.

Matching columns, one per backend (``backends.py``):
- PostgreSQL: ``vector``, a ``tsvector`` of the title (weight A) and body (weight D) under the
  ``french`` and ``english`` configurations, accents removed with ``unaccent``; GIN index.
- SQLite: ``title_terms`` / ``body_terms``, the words folded and stemmed in Python (French and
  English Snowball stems), mirrored by triggers into the FTS5 table ``search_fts``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TsVectorField(models.Field):
    """A ``tsvector`` column on PostgreSQL (written and read in SQL by ``backends.py`` only); a
    placeholder text column elsewhere. Kept out of Python: never loaded with the rows."""

    def db_type(self, connection):  # type: ignore[no-untyped-def]
        return "tsvector" if connection.vendor == "postgresql" else "text"


class Kind(models.TextChoices):
    POST = "post", _("Posts")
    COMMENT = "comment", _("Comments")
    RESOURCE = "resource", _("Resources")
    EVENT = "event", _("Events")
    GROUP = "group", _("Groups")


class SearchDocument(models.Model):
    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField()
    teaser = models.BooleanField(default=False)  # the title-only stand-in of tier-gated content
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False,
    )
    parent_id = models.BigIntegerField(null=True, blank=True)  # a comment's post
    tier_ids = models.CharField(max_length=200, blank=True, default="")  # "|3|7|": tiers that open it
    title = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)  # plain text, for snippets
    tags = models.CharField(max_length=600, blank=True, default="")  # "|jardin|velo|"
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    indexed_at = models.DateTimeField(auto_now=True)
    title_terms = models.TextField(blank=True, default="")  # SQLite only
    body_terms = models.TextField(blank=True, default="")  # SQLite only
    vector = TsVectorField(null=True, blank=True, editable=False)  # PostgreSQL only

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "teaser"], name="search_doc_once"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["post", "comment", "resource", "event", "group"]),
                name="search_doc_kind_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["parent_id"], name="search_doc_parent", condition=models.Q(parent_id__isnull=False)),
            # The newest matches first (the page and the relevance window): read backwards, in order.
            models.Index(fields=["-created_at", "-id"], name="search_doc_newest"),
            # PostgreSQL: a GIN index on ``vector`` (migration 0002).
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}{' (teaser)' if self.teaser else ''}"


class ReindexCursor(models.Model):
    """Where ``tribu search_reindex`` stopped for each kind, so an interrupted run resumes."""

    kind = models.CharField(max_length=10, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.kind}:{self.last_id}"
