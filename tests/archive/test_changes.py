"""Change stats: what the store records for each new version, and the text diff behind `diff`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from archive.changes import compare_versions, diff_text, is_date_line
from archive.models import Version
from archive.queries import history
from archive.reports import list_changes, version_diff

if TYPE_CHECKING:
    from tests.archive.conftest import Seeder

URL = "https://demo.example.com/football/derby.html"
TEXT = "Arsenal beat Spurs 2-1 at home.\nSaka scored twice, once in each half.\nArteta was pleased."
BASE = {"title": "Derby", "authors": ["Jane Doe"], "published": "2026-11-25", "text": TEXT}


@pytest.mark.parametrize(
    ("change", "trivial"),
    [
        ({"text": TEXT.replace("twice, once", "twice once")}, True),  # punctuation only
        # whitespace only (the same words: a new version only because the modified date moved)
        ({"text": TEXT.replace("Saka scored", "Saka   scored"), "modified": "2026-11-26"}, True),
        ({"modified": "2026-11-25T14:00:00Z"}, True),  # the modified date alone
        ({"text": TEXT + "\nUpdated 25 November 2026, 14:05 GMT"}, True),  # a timestamp line
        ({"text": TEXT.replace("2-1", "3-1")}, False),  # a changed score
        ({"title": "Derby!"}, False),  # the title, even by punctuation
        ({"authors": ["Jane Doe", "John Roe"]}, False),
        ({"text": TEXT + "\nTottenham appealed."}, False),
    ],
)
def test_trivial_edits_are_flagged_and_real_ones_are_not(
    change: dict[str, object], trivial: bool
) -> None:
    stats = compare_versions(BASE, {**BASE, **change})

    assert stats.trivial is trivial
    assert stats.changed_fields  # every case changes something


def test_word_and_character_counts_of_an_edit() -> None:
    stats = compare_versions(BASE, {**BASE, "text": TEXT.replace("twice", "a hat-trick")})

    assert stats.changed_fields == ["text"]
    assert (stats.words_added, stats.words_removed) == (2, 1)  # "twice," -> "a hat-trick,"
    assert (stats.chars_added, stats.chars_removed) == (len("ahat-trick,"), len("twice,"))


def test_date_lines() -> None:
    assert is_date_line("Last updated: Tue 25 Nov 2026 14:05 UTC")
    assert is_date_line("Published 3 hours ago")
    assert not is_date_line("Updated squad list")  # no date in it
    assert not is_date_line("Saka scored on 25 November")


def test_diff_text_finds_the_edit_in_its_paragraph() -> None:
    new = TEXT.replace("once in each half", "both in the second half")

    edits = diff_text(TEXT, new)

    assert [(e.op, e.old, e.new) for e in edits] == [
        ("replace", "once", "both"),
        ("replace", "each", "the second"),
    ]
    assert {(e.old_paragraph, e.new_paragraph) for e in edits} == {(2, 2)}
    assert (edits[0].before, edits[0].after) == ("Saka scored twice,", "in each half.")
    assert diff_text(TEXT, TEXT.replace("\n", "\n\n")) == []  # paragraphs re-spaced: no edit


def test_diff_text_of_added_and_removed_paragraphs() -> None:
    edits = diff_text(TEXT, "Arsenal beat Spurs 2-1 at home.\nArteta was pleased.\nMore soon.")

    assert [(e.op, e.old or e.new) for e in edits] == [
        ("delete", "Saka scored twice, once in each half."),
        ("insert", "More soon."),
    ]


def test_the_store_records_the_stats_of_each_new_version(seed: Seeder) -> None:
    seed.article(URL, text=TEXT)
    seed.article(URL, text=TEXT.replace("twice, once", "twice once"))  # trivial
    seed.article(URL, text=TEXT.replace("2-1", "3-1"), title="Derby: 3-1")

    with seed.archive.session() as s:
        rows = s.execute(
            select(Version.version, Version.changed_fields, Version.trivial).order_by(
                Version.version
            )
        ).all()
        assert [tuple(r) for r in rows] == [
            (1, [], False),
            (2, ["text"], True),
            (3, ["title", "text"], False),
        ]
        assert [h["trivial"] for h in history(s, URL)] == [False, True, False]
        assert [h["changed"] for h in history(s, URL)] == [[], ["text"], ["title", "text"]]
        assert [c["version"] for c in list_changes(s)] == [3]
        assert [c["version"] for c in list_changes(s, include_trivial=True)] == [3, 2]
        assert [c["version"] for c in list_changes(s, min_words=4)] == [3]  # 2 added, 2 removed
        assert list_changes(s, min_words=5) == []

        diff = version_diff(s, URL, old=1)  # v2 dropped a comma that v3 put back
    assert diff["fields"] == {"title": {"old": "Match report", "new": "Derby: 3-1"}}
    assert [(e["op"], e["old"], e["new"]) for e in diff["edits"]] == [("replace", "2-1", "3-1")]
