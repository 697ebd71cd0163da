"""The directory's search index: one denormalised ``DirectoryEntry`` per member and its
``DirectoryTerm`` rows (skills, interests, tiers, location, company, filterable custom-field values).

Nothing but ``index.py`` writes these tables; they are rebuilt from accounts, memberships and
companies at any time (``tribu directory_rebuild``), so they hold no data of their own.

Visibility is stored, not decided, here: every text and term knows whether the member restricted
it to the community team, so a search never matches on what the viewer may not see.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DirectoryEntry(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="directory_entry"
    )
    name = models.CharField(max_length=150)
    sort_name = models.CharField(max_length=150)  # normalised (lower case, no accents)
    # What the card shows; ``restricted`` lists the standard fields only the team (and the member) may see.
    job_title = models.CharField(max_length=120, blank=True)
    organisation = models.CharField(max_length=160, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)
    photo = models.CharField(max_length=200, blank=True)  # storage name of the thumbnail
    company = models.ForeignKey(
        "companies.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    company_name = models.CharField(max_length=160, blank=True)
    restricted = models.JSONField(default=list, blank=True)
    # Normalised search texts: what members may search on, and everything (for the team).
    search_members = models.TextField(blank=True)
    search_staff = models.TextField(blank=True)
    hidden = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    listed = models.BooleanField(default=True)  # active and not hidden: what members see
    date_joined = models.DateTimeField()
    last_active_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["sort_name", "user"], name="direntry_name"),
            models.Index(fields=["-date_joined"], name="direntry_joined"),
            # "Recently active" (last_active_at DESC NULLS LAST): a PostgreSQL-only index, migration 0004.
            models.Index(fields=["listed", "sort_name", "user"], name="direntry_listed_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def initials(self) -> str:
        parts = self.name.replace("-", " ").split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"


class TermKind(models.TextChoices):
    SKILL = "skill"
    INTEREST = "interest"
    TIER = "tier"
    CITY = "city"
    REGION = "region"
    COUNTRY = "country"
    COMPANY = "company"
    FIELD = "field"  # a custom field's value: ``ref`` is the field id


class DirectoryTerm(models.Model):
    """One filterable fact about a member: ``kind`` + ``key`` (a tag, tier or company id as text, a
    place name, a custom-field value), used both to filter and to count facets."""

    entry = models.ForeignKey(DirectoryEntry, on_delete=models.CASCADE, related_name="terms")
    kind = models.CharField(max_length=10, choices=TermKind.choices)
    ref = models.IntegerField(default=0)  # custom field id for kind=field, else 0
    key = models.CharField(max_length=160)
    number = models.FloatField(null=True, blank=True)  # numeric custom fields, for ranges
    staff_only = models.BooleanField(default=False)
    listed = models.BooleanField(default=True)  # a copy of the entry's, so a filter is answered from the index

    class Meta:
        indexes = [
            # Covers a filter's lookup (an index-only scan on PostgreSQL).
            models.Index(fields=["kind", "ref", "key", "listed", "staff_only", "entry"], name="dirterm_lookup"),
            models.Index(fields=["entry", "kind"], name="dirterm_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.kind}:{self.ref}:{self.key}"
