"""Words, stems and highlights (the same code serves both backends)."""

from __future__ import annotations

from tribu.search import text


def test_folding_and_stemming_meet_in_the_middle():
    assert text.stems(text.words("Événements")[0]) == text.stems("evenement")
    assert set(text.stems("associations")) & set(text.stems("association"))
    assert "run" in text.stems("running")


def test_query_words_drop_fts_syntax_and_keep_words():
    assert text.query_words('"NEAR( évènement* OR -') == ["near", "evenement", "or"]
    assert text.query_words("   ") == []
    assert len(text.query_words(" ".join(f"mot{i}" for i in range(30)))) == text.MAX_QUERY_WORDS


def test_highlight_escapes_everything_but_its_marks():
    wanted = text.query_stems(["evenement"])
    html = str(text.highlight('<script>alert("x")</script> Les événements', wanted))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>événements</mark>" in html


def test_snippet_starts_near_the_first_match():
    body = "mot " * 200 + "le jardinage partagé " + "fin " * 100
    snippet = str(text.snippet(body, text.query_stems(["jardinage"])))
    assert "<mark>jardinage</mark>" in snippet
    assert snippet.startswith("… ")
    assert len(snippet) < 400


def test_plain_keeps_link_labels_and_mention_names():
    assert text.plain("Bravo @[Mia Membre](user:4) voir [le guide](https://x.org) **fort**") == (
        "Bravo @Mia Membre voir le guide fort"
    )
