"""What changed between two versions of an article: field changes, word diffs, trivial edits.

Pure functions over plain values (no database): the store calls :func:`compare_versions` when it
writes version n>1 and keeps the result on the row (``changed_fields``, ``words_added`` ...,
``trivial``); ``pressbox diff`` calls :func:`diff_text` to show the edit itself.

- **Words** are whitespace-separated tokens; the diff is :mod:`difflib` over word lists, so a
  re-wrapped paragraph is no change and a changed score is one word replaced.
- **Characters** added/removed are the characters of the words added/removed (whitespace not
  counted), a size measure that a re-wrap cannot inflate.
- **Trivial** edits are those a researcher usually filters out: the text is the same once
  whitespace and punctuation are removed, or the only changed lines are date/timestamp lines
  ("Updated 25 November 2026, 14:05"); and title, authors and published date are unchanged. A
  change of the modified date alone is trivial.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "COMPARED_FIELDS",
    "ChangeStats",
    "Edit",
    "compare_versions",
    "diff_text",
    "inline_diff",
    "is_date_line",
    "paragraphs",
    "skeleton",
    "word_diff",
]

#: The fields compared between consecutive versions, in the order they are reported.
COMPARED_FIELDS = ("title", "authors", "published", "modified", "description", "tags", "text")
# Changing any of these makes an edit non-trivial, whatever the text did.
_SUBSTANTIVE_FIELDS = ("title", "authors", "published")

Unit = Literal["word", "sentence"]

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_LETTERS = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")
# Words that may appear on a date/timestamp line besides numbers ("Updated: Tue 25 Nov 2026,
# 14:05 GMT", "Last modified 3 hours ago").
_DATE_WORDS = frozenset(
    """
    updated update last modified published posted edited first on at am pm utc gmt bst cet cest
    est edt pst pdt z t ago sec secs second seconds min mins minute minutes hour hours hr hrs day
    days week weeks month months year years today yesterday
    jan january feb february mar march apr april may jun june jul july aug august sep sept
    september oct october nov november dec december
    mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday sat saturday
    sun sunday st nd rd th of the
    """.split()  # noqa: SIM905 - a word list reads better as text
)


@dataclass(frozen=True, slots=True)
class ChangeStats:
    """How a version differs from the one before it (what ``versions`` stores)."""

    changed_fields: list[str] = field(default_factory=list)
    words_added: int = 0
    words_removed: int = 0
    chars_added: int = 0
    chars_removed: int = 0
    trivial: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "changed_fields": list(self.changed_fields),
            "words_added": self.words_added,
            "words_removed": self.words_removed,
            "chars_added": self.chars_added,
            "chars_removed": self.chars_removed,
            "trivial": self.trivial,
        }


@dataclass(frozen=True, slots=True)
class Edit:
    """One edit operation of a text diff.

    ``op`` is ``insert``, ``delete`` or ``replace``; ``old``/``new`` the text removed/added (empty
    for an insert/delete); ``old_paragraph``/``new_paragraph`` the 1-based paragraph it sits in
    (in the old/new text); ``before``/``after`` a few unchanged words either side, for context.
    """

    op: str
    old: str
    new: str
    old_paragraph: int
    new_paragraph: int
    before: str = ""
    after: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "old": self.old,
            "new": self.new,
            "old_paragraph": self.old_paragraph,
            "new_paragraph": self.new_paragraph,
            "before": self.before,
            "after": self.after,
        }


def _norm(value: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def skeleton(text: str | None) -> str:
    """``text`` without whitespace and punctuation: equal skeletons mean a trivial edit.

    >>> skeleton("Arsenal won, 2-1.") == skeleton("Arsenal  won 2-1")
    True
    """
    return "".join(
        ch
        for ch in unicodedata.normalize("NFC", text or "")
        if not ch.isspace() and not unicodedata.category(ch).startswith("P")
    )


def is_date_line(line: str) -> bool:
    """Whether ``line`` is only a date or timestamp (with words like "Updated" or "ago").

    >>> is_date_line("Updated 25 November 2026, 14:05 GMT")
    True
    >>> is_date_line("Arsenal won 2-1 on 25 November")
    False
    """
    if not _DIGIT.search(line) or len(line) > 120:
        return False
    return all(word in _DATE_WORDS for word in _LETTERS.findall(line.lower()))


def paragraphs(text: str | None) -> list[str]:
    """The non-empty lines of ``text``, whitespace-normalised (the extractor's paragraphs)."""
    return [p for p in (_norm(line) for line in (text or "").splitlines()) if p]


def word_diff(old: Sequence[str], new: Sequence[str]) -> tuple[int, int, int, int]:
    """(words added, words removed, chars added, chars removed) going from ``old`` to ``new``.

    Args:
        old: the old text's words.
        new: the new text's words.
    """
    words_added = words_removed = chars_added = chars_removed = 0
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            words_removed += i2 - i1
            chars_removed += sum(len(w) for w in old[i1:i2])
        if tag in ("replace", "insert"):
            words_added += j2 - j1
            chars_added += sum(len(w) for w in new[j1:j2])
    return words_added, words_removed, chars_added, chars_removed


def _only_date_lines_changed(old: str, new: str) -> bool:
    old_lines, new_lines = paragraphs(old), paragraphs(new)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    changed = [
        line
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
        for line in (*old_lines[i1:i2], *new_lines[j1:j2])
    ]
    return bool(changed) and all(is_date_line(line) for line in changed)


def _field_value(record: Mapping[str, Any], name: str) -> Any:
    value = record.get(name)
    if name in ("authors", "tags"):
        return [_norm(v) for v in value or []]
    if name == "text":
        return (value or "").split()  # as words: a re-wrap alone is not a change
    return _norm(value)


def compare_versions(old: Mapping[str, Any], new: Mapping[str, Any]) -> ChangeStats:
    """What changed from version ``old`` to version ``new`` of an article.

    Args:
        old: the previous version's fields (at least those of :data:`COMPARED_FIELDS`).
        new: the new version's fields.

    Returns:
        The changed field names (in :data:`COMPARED_FIELDS` order), the word and character
        counts of the text diff, and whether the edit is trivial (see the module docstring).
    """
    changed = [
        name for name in COMPARED_FIELDS if _field_value(old, name) != _field_value(new, name)
    ]
    old_text, new_text = old.get("text") or "", new.get("text") or ""
    added, removed, chars_added, chars_removed = word_diff(old_text.split(), new_text.split())
    text_trivial = (
        "text" not in changed
        or skeleton(old_text) == skeleton(new_text)
        or _only_date_lines_changed(old_text, new_text)
    )
    others_trivial = all(
        skeleton(old.get(name)) == skeleton(new.get(name)) for name in ("description",)
    ) and not any(name in changed for name in (*_SUBSTANTIVE_FIELDS, "tags"))
    return ChangeStats(
        changed_fields=changed,
        words_added=added,
        words_removed=removed,
        chars_added=chars_added,
        chars_removed=chars_removed,
        trivial=bool(changed) and text_trivial and others_trivial,
    )


# -- showing a diff --------------------------------------------------------------------------------


def _tokens(paragraph: str, unit: Unit) -> list[str]:
    if unit == "sentence":
        return [s for s in _SENTENCE_END.split(paragraph) if s]
    return paragraph.split()


def _edits_within(
    old: str, new: str, old_no: int, new_no: int, unit: Unit, context: int
) -> list[Edit]:
    a, b = _tokens(old, unit), _tokens(new, unit)
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        edits.append(
            Edit(
                op=tag,
                old=" ".join(a[i1:i2]),
                new=" ".join(b[j1:j2]),
                old_paragraph=old_no,
                new_paragraph=new_no,
                before=" ".join(a[max(0, i1 - context) : i1]),
                after=" ".join(a[i2 : i2 + context]),
            )
        )
    return edits


def diff_text(
    old: str | None, new: str | None, *, unit: Unit = "word", context: int = 5
) -> list[Edit]:
    """The edit operations that turn text ``old`` into ``new``.

    Paragraphs (lines) are matched first; inside each pair of changed paragraphs the diff is by
    word (or by sentence with ``unit="sentence"``). A paragraph added or removed whole is one
    ``insert``/``delete``.

    Args:
        old: the old text.
        new: the new text.
        unit: ``"word"`` or ``"sentence"``.
        context: unchanged words kept either side of an edit (``before``/``after``).

    Returns:
        The edits in text order; an empty list when the texts have the same words.
    """
    a, b = paragraphs(old), paragraphs(new)
    edits: list[Edit] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            edits += _edits_within(a[i1 + k], b[j1 + k], i1 + k + 1, j1 + k + 1, unit, context)
        for i in range(i1 + pairs, i2):
            edits.append(Edit("delete", a[i], "", i + 1, j1 + pairs + 1))
        for j in range(j1 + pairs, j2):
            edits.append(Edit("insert", "", b[j], i1 + pairs + 1, j + 1))
    return edits


def inline_diff(old: str, new: str, *, unit: Unit = "word") -> list[tuple[str, str]]:
    """Paragraph ``old`` turned into ``new`` as segments ``(kind, text)`` to show inline, with
    ``kind`` one of ``equal``, ``delete``, ``insert`` (a replacement is a delete then an insert).
    """
    a, b = _tokens(old, unit), _tokens(new, unit)
    segments: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(("equal", " ".join(b[j1:j2])))
            continue
        if i2 > i1:
            segments.append(("delete", " ".join(a[i1:i2])))
        if j2 > j1:
            segments.append(("insert", " ".join(b[j1:j2])))
    return segments
