"""The search on the database in use (SQLite FTS5 by default, PostgreSQL with DATABASE_URL): stemming,
accents, highlights, filters, indexing after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tribu.search.models import SearchDocument

from .conftest import find, make_comment, make_event, make_post, titles

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("Les événements de la rentrée", "evenement"),
        ("Un evenement pour tous", "événements"),
        ("Réunion des associations du quartier", "association"),
        ("Assemblée de l'association", "associations"),
        ("Tips for running a club", "run"),
        ("We run workshops", "running"),
    ],
)
def test_french_and_english_word_forms_and_accents_match(mia, stored, typed):
    make_post(mia, "Corps du message.", title=stored)
    make_post(mia, "Rien à voir.", title="Pique-nique au parc")
    assert titles(find(mia, typed)) == {stored}


def test_every_word_must_match(mia):
    make_post(mia, "Atelier vélo le samedi", title="Vélo")
    make_post(mia, "Atelier cuisine le samedi", title="Cuisine")
    assert titles(find(mia, "atelier velo")) == {"Vélo"}
    assert titles(find(mia, "atelier")) == {"Vélo", "Cuisine"}


def test_a_title_match_ranks_before_a_body_match(mia):
    make_post(mia, "Nous parlons de jardinage ici et là.", title="Divers")
    make_post(mia, "Le programme.", title="Jardinage partagé")
    results = find(mia, "jardinage")
    assert str(results.hits[0].title) == "<mark>Jardinage</mark> partagé"


def test_highlights_mark_the_words_in_escaped_text(mia):
    make_post(mia, 'Un <img src=x onerror=alert(1)> **événement** à ne pas rater', title="<b>Événement</b> & co")
    hit = find(mia, "evenement").hits[0]
    assert str(hit.title) == "&lt;b&gt;<mark>Événement</mark>&lt;/b&gt; &amp; co"
    assert "<mark>événement</mark>" in str(hit.snippet)
    assert "<img" not in str(hit.snippet)


def test_comments_are_found_and_lead_to_their_post(mia, anna):
    post = make_post(mia, "Qui a un appareil ?", title="Question photo")
    comment = make_comment(post, anna, "J'ai un trépied à prêter")
    results = find(mia, "trepied")
    assert [(h.kind, h.id) for h in results.hits] == [("comment", comment.pk)]
    assert results.hits[0].url.endswith(f"#comment-{comment.pk}")
    assert results.counts == {"comment": 1}


def test_filters_group_author_tag_and_dates(mia, anna, places):
    club = places["public"]
    old = make_post(mia, "Sortie photo en forêt", title="Sortie forêt", tags=["nature"])
    type(old).objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=40))
    from tribu.search.indexing import refresh

    refresh("post", [old.pk])
    make_post(anna, "Sortie photo au musée", title="Sortie musée", group=club, tags=["culture"])
    make_post(mia, "Sortie photo en ville", title="Sortie ville", group=club, tags=["nature"])
    assert titles(find(mia, "sortie")) == {"Sortie forêt", "Sortie musée", "Sortie ville"}
    assert titles(find(mia, "sortie", group=club.pk)) == {"Sortie musée", "Sortie ville"}
    assert titles(find(mia, "sortie", author=anna.pk)) == {"Sortie musée"}
    assert titles(find(mia, "sortie", tag="#Nature")) == {"Sortie forêt", "Sortie ville"}
    week_ago = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert titles(find(mia, "sortie", **{"from": week_ago})) == {"Sortie musée", "Sortie ville"}
    assert titles(find(mia, "sortie", to=week_ago)) == {"Sortie forêt"}
    # Filters alone (no words) list the newest first.
    assert [str(h.title) for h in find(mia, "", author=anna.pk).hits] == ["Sortie musée"]
    facet = find(mia, "sortie").groups
    assert facet == [{"id": club.pk, "name": club.name, "count": 2}]


def test_kind_tab_and_counts(mia, anna):
    post = make_post(mia, "Le pique-nique annuel", title="Pique-nique")
    make_comment(post, anna, "Je viens au pique-nique")
    make_event(title="Grand pique-nique", organiser=anna)
    from tribu.events.models import Event
    from tribu.search.indexing import refresh

    refresh("event", Event.objects.values_list("pk", flat=True))
    results = find(mia, "pique nique")
    assert results.counts == {"post": 1, "comment": 1, "event": 1}
    only = find(mia, "pique nique", kind="event")
    assert [h.kind for h in only.hits] == ["event"] and only.count == 1


def test_paging_is_bounded(mia):
    for i in range(5):
        make_post(mia, f"Le message numéro {i} sur la chorale", title=f"Chorale {i}")
    from tribu.search import queries

    first = queries.search(mia, queries.parse({"q": "chorale"}), page_size=2)
    third = queries.search(mia, queries.parse({"q": "chorale", "page": "3"}), page_size=2)
    assert first.has_next and len(first.hits) == 2
    assert not third.has_next and len(third.hits) == 1
    assert queries.parse({"q": "x", "page": "99999"}).page == queries.MAX_PAGE


def test_a_deleted_post_and_its_comments_leave_the_index(mia, anna):
    post = make_post(mia, "Le covoiturage du jeudi", title="Covoiturage")
    make_comment(post, anna, "Covoiturage possible depuis Lyon")
    assert find(mia, "covoiturage").total == 2
    type(post).objects.filter(pk=post.pk).update(deleted_at=timezone.now())
    from tribu.search.indexing import refresh

    refresh("post", [post.pk])
    assert find(mia, "covoiturage").total == 0
    type(post).objects.filter(pk=post.pk).update(deleted_at=None)
    refresh("post", [post.pk])
    assert find(mia, "covoiturage").counts == {"post": 1, "comment": 1}


def test_drafts_are_not_searchable(mia):
    make_post(mia, "Brouillon secret de la kermesse", status="draft")
    assert find(mia, "kermesse").total == 0


def test_index_later_acts_after_the_commit_and_not_after_a_rollback(mia, django_capture_on_commit_callbacks):
    from tribu.search.indexing import index_later

    with django_capture_on_commit_callbacks(execute=True):
        kept = make_post(mia, "La brocante du printemps", title="Brocante", index=False)
        index_later(kept)
        assert not SearchDocument.objects.filter(object_id=kept.pk).exists()
    assert titles(find(mia, "brocante")) == {"Brocante"}

    with (django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError),
          transaction.atomic()):
        lost = make_post(mia, "La tombola annulée", title="Tombola", index=False)
        index_later(lost)
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert find(mia, "tombola").total == 0


def test_remove_later_drops_the_document_after_the_commit(mia, django_capture_on_commit_callbacks):
    from tribu.search.indexing import remove_later

    post = make_post(mia, "Vide-grenier", title="Vide-grenier")
    with django_capture_on_commit_callbacks(execute=True):
        type(post).objects.filter(pk=post.pk).update(deleted_at=timezone.now())
        remove_later(post)
    assert find(mia, "grenier").total == 0


def test_reindex_command_rebuilds_and_resumes(mia, anna, places):
    from django.core.management import call_command

    from tribu.events.models import Event

    posts = [make_post(mia, f"Randonnée numéro {i}", title=f"Rando {i}", index=False) for i in range(5)]
    make_event(title="Randonnée en montagne", organiser=anna)
    SearchDocument.objects.create(kind="post", object_id=999_999, title="Fantôme", created_at=timezone.now())
    call_command("search_reindex", "--batch", "2", verbosity=0)
    assert find(mia, "randonnee").counts == {"post": 5, "event": 1}
    assert not SearchDocument.objects.filter(object_id=999_999).exists()
    assert SearchDocument.objects.filter(kind="group").count() == 3
    from tribu.search.models import ReindexCursor

    SearchDocument.objects.filter(kind="post").delete()
    ReindexCursor.objects.filter(kind="post").update(last_id=posts[2].pk)
    call_command("search_reindex", "--kind", "post", "--resume", verbosity=0)
    assert set(SearchDocument.objects.filter(kind="post").values_list("object_id", flat=True)) == {
        p.pk for p in posts[3:]}
    assert Event.objects.count() == 1


def test_sweep_catches_events_and_groups_changed_behind_its_back(mia, anna, places):
    from tribu.search.indexing import sweep

    event = make_event(title="Conférence climat", organiser=anna)
    sweep()
    assert titles(find(mia, "climat")) == {"Conférence climat"}
    type(event).objects.filter(pk=event.pk).update(title="Conférence océans", updated_at=timezone.now())
    sweep()
    assert titles(find(mia, "climat")) == set()
    assert titles(find(mia, "oceans")) == {"Conférence océans"}
    event.delete()
    sweep()
    assert not SearchDocument.objects.filter(kind="event").exists()


@pytest.mark.parametrize("typed", ['"', "NEAR(", "*", "AND OR NOT", '" OR 1=1 --', "a", "'", "(((", "^"])
def test_query_syntax_from_the_box_never_breaks_the_search(mia, typed):
    make_post(mia, "Le marché de Noël", title="Marché")
    results = find(mia, typed)
    assert results.hits == [] or all(h.kind == "post" for h in results.hits)


def test_deleting_a_group_takes_its_posts_comments_and_resources_out_of_search(
        alice, bob, mia, anna, places, django_capture_on_commit_callbacks):
    from tribu.groups.actions import delete_group
    from tribu.library.tests.conftest import make_resource
    from tribu.search.indexing import refresh

    club = places["public"]
    post = make_post(anna, "Sortie photo au marais", title="Marais en hiver", group=club)
    make_comment(post, mia, "Je viens au marais avec mon trépied")
    resource = make_resource("Guide du marais", group=club)
    refresh("resource", [resource.pk])
    make_post(anna, "Le marais vu du ciel", title="Marais de la communauté")
    assert find(bob, "marais").counts == {"post": 2, "comment": 1, "resource": 1}
    assert find(mia, "marais").counts == {"post": 2, "comment": 1, "resource": 1}

    club_id = club.pk
    with django_capture_on_commit_callbacks(execute=True):
        delete_group(alice, club)

    # The team reads every group, so a stale document would show them a dead link: nothing is left.
    for viewer in (bob, mia):
        results = find(viewer, "marais")
        assert results.counts == {"post": 1}
        assert titles(results) == {"Marais de la communauté"}
    assert not SearchDocument.objects.filter(group_id=club_id).exists()
    assert not SearchDocument.objects.filter(kind="group", object_id=club_id).exists()


@pytest.mark.parametrize("sort", ["relevance", "recent"])
def test_more_matches_than_the_count_cap_still_pages_the_newest_of_the_readers_matches(
        mia, anna, places, monkeypatch, sort):
    from tribu.search import queries

    # The capped path (a common word): the window is read newest first on the date index.
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    monkeypatch.setattr(queries, "RANK_WINDOW", 4)
    now = timezone.now()
    for i in range(6):
        post = make_post(anna, f"Atelier vélo numéro {i}", title=f"Atelier {i}", index=False)
        type(post).objects.filter(pk=post.pk).update(published_at=now - timedelta(days=i))
        from tribu.search.indexing import refresh

        refresh("post", [post.pk])
    make_post(anna, "Atelier vélo du comité", title="Atelier secret", group=places["private"])
    results = queries.search(mia, queries.parse({"q": "atelier", "sort": sort}), page_size=2)
    assert results.capped
    assert results.counts == {"post": 4}  # the first COUNT_CAP + 1 matches counted, a lower bound
    assert len(results.hits) == 2 and results.has_next
    if sort == "recent":
        assert titles(results) == {"Atelier 0", "Atelier 1"}
    else:  # ranked among the RANK_WINDOW newest
        assert titles(results) <= {"Atelier 0", "Atelier 1", "Atelier 2", "Atelier 3"}
    everything = queries.search(mia, queries.parse({"q": "atelier", "sort": sort, "page": "3"}), page_size=2)
    assert "Atelier secret" not in titles(everything)


def test_a_few_resources_among_more_posts_than_the_count_cap_are_counted_and_get_their_tab(
        mia, anna, monkeypatch):
    from tribu.library.tests.conftest import make_resource
    from tribu.search import queries
    from tribu.search.indexing import refresh

    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    for i in range(6):
        make_post(anna, f"Compost partagé {i}", title=f"Compost {i}")
    resource = make_resource("Guide du compost")
    refresh("resource", [resource.pk])
    everything = find(mia, "compost")
    assert everything.capped
    assert everything.counts["resource"] == 1
    tab = find(mia, "compost", kind="resource")
    assert titles(tab) == {"Guide du compost"}
    assert tab.count == 1


def test_the_members_count_and_preview_on_every_tab_and_page(mia, anna):
    from conftest import make_user
    from tribu.accounts.models import Profile
    from tribu.directory.index import refresh as refresh_directory
    from tribu.search import queries

    people = [make_user(f"zorglub{i}@example.org", "member", f"Zorglub {i}") for i in range(6)]
    for person in people:
        Profile.objects.get_or_create(user=person)
    refresh_directory([p.pk for p in people])
    make_post(anna, "Le club zorglub se réunit", title="Zorglub")

    def run(**data):
        return queries.search(mia, queries.parse({"q": "zorglub", **data}), page_size=5)

    every = run()
    assert every.counts == {"post": 1, "member": 6}
    assert [str(h.title) for h in every.member_preview] == [f"<mark>Zorglub</mark> {i}" for i in range(4)]
    assert run(kind="post").counts["member"] == 6  # the badge of the members tab
    assert run(page="2").counts["member"] == 6 and run(page="2").member_preview == []
    tab = run(kind="member")
    assert tab.count == 6 and len(tab.hits) == 5 and tab.has_next
    second = run(kind="member", page="2")
    assert second.count == 6 and [str(h.title) for h in second.hits] == ["<mark>Zorglub</mark> 5"]
    beyond = run(kind="member", page="3")
    assert beyond.counts["member"] == 6 and beyond.hits == []
