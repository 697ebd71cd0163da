"""Both search backends: the same results on SQLite (LIKE on the normalised text) and PostgreSQL
(the same LIKE, served by trigram GIN indexes). The suite runs on both databases."""

from __future__ import annotations

import pytest
from django.db import connection

from tribu.accounts.models import User
from tribu.directory import queries
from tribu.directory.backends import LikeBackend, TrigramBackend, get_backend

from .conftest import add_member


@pytest.mark.django_db
def test_the_backend_matches_the_database():
    expected = TrigramBackend if connection.vendor == "postgresql" else LikeBackend
    assert type(get_backend()) is expected


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_postgresql_has_trigram_indexes_on_the_search_texts():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'directory_directoryentry'")
        indexes = dict(cursor.fetchall())
    assert "gin_trgm_ops" in indexes["direntry_search_members_trgm"]
    assert "gin_trgm_ops" in indexes["direntry_search_staff_trgm"]


@pytest.mark.django_db
@pytest.mark.parametrize("backend", [LikeBackend(), TrigramBackend()])
def test_each_backend_finds_fragments_without_accents(backend, mia):
    ebeniste = add_member("Élodie Lefèvre", job_title="Ébéniste d'art", city="Orléans")
    add_member("Autre Personne", job_title="Menuisier")
    viewer = queries.viewer_for(User.objects.get(pk=mia.pk))
    entries = queries.search(viewer, queries.Filters())
    for words in (["eben"], ["ebeniste", "orleans"], ["lef"], ["d'art"]):
        assert list(backend.match(entries, "search_members", words).values_list("pk", flat=True)) == [ebeniste.pk]
    assert not backend.match(entries, "search_members", ["100%"]).exists()
