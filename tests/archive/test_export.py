"""Export files: CSV and JSONL hold the same data, formulas are neutralised, a failed export leaves
no file, and memory stays flat however many rows are exported."""

from __future__ import annotations

import csv
import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from archive.errors import ExportError, ValidationError
from archive.export import neutralise_formula, write_export
from archive.queries import EXPORT_COLUMNS, iter_export_rows

if TYPE_CHECKING:
    from tests.archive.conftest import Seeder

TRICKY = [
    {
        "url": "https://demo.example.com/football/derby.html",
        "title": 'Derby: "a classic", 2-1',
        "text": 'Arsenal beat Spurs, 2-1.\nArteta said: "We were brave, again."\n\nMore soon.',
        "authors": ["Jane Doe", "Анна Иванова"],
        "tags": ["football", "north london"],
        "description": "Line one,\nline two; with a semicolon",
        "links": [("https://demo.example.com/saka.html", 'Saka, "the star"')],
        "related_links": [("https://demo.example.com/table.html", "Table\nnew line")],
    },
    {
        "url": "https://demo.example.com/olympics/tokyo.html",
        "title": "東京 and Москва bid for the Games 🏅",
        "text": '東京は開催地です。\nМосква тоже хочет. مرحبا\r\nEnd with a trailing quote"',
        "authors": ["山田太郎"],
        "tags": [],
        "description": None,
        "links": [],
        "related_links": [],
    },
]


@pytest.fixture
def tricky(seed: Seeder) -> Seeder:
    for fields in TRICKY:
        seed.article(**fields, published="2026-11-25T03:00:00+01:00")  # type: ignore[arg-type]
    return seed


def export(seed: Seeder, out: Path, fmt: str, **options: Any) -> int:
    with seed.archive.session() as s:
        return write_export(iter_export_rows(s), out, fmt, **options)  # type: ignore[arg-type]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def as_csv_cells(record: dict[str, Any]) -> dict[str, str]:
    """What CSV should hold for a JSONL record: lists joined, links as JSON, null as empty."""
    cells = {}
    for name, value in record.items():
        if name in ("links", "related_links"):
            cells[name] = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, list):
            cells[name] = "; ".join(value)
        elif value is None:
            cells[name] = ""
        else:
            cells[name] = str(value)
    return cells


def test_csv_and_jsonl_hold_the_same_fields(tricky: Seeder, tmp_path: Path) -> None:
    assert export(tricky, tmp_path / "a.csv", "csv") == 2
    assert export(tricky, tmp_path / "a.jsonl", "jsonl") == 2

    records = read_jsonl(tmp_path / "a.jsonl")
    assert [list(r) for r in records] == [EXPORT_COLUMNS, EXPORT_COLUMNS]
    assert records[1]["title"] == "東京 and Москва bid for the Games 🏅"
    assert records[0]["authors"] == ["Jane Doe", "Анна Иванова"]
    assert records[0]["related_links"] == [
        {"url": "https://demo.example.com/table.html", "text": "Table\nnew line"}
    ]

    with open(tmp_path / "a.csv", encoding="utf-8", newline="") as fp:
        via_csv = list(csv.DictReader(fp))

    assert via_csv == [as_csv_cells(r) for r in records]
    for row, record in zip(via_csv, records, strict=True):
        assert row["text"] == record["text"]  # newlines, quotes and commas survive
        assert json.loads(row["related_links"]) == record["related_links"]
        assert (row["authors"].split("; ") if row["authors"] else []) == record["authors"]


def test_pandas_reads_the_csv_as_the_jsonl(tricky: Seeder, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas", reason="pandas is a dev dependency, not a base one")
    export(tricky, tmp_path / "a.csv", "csv")
    export(tricky, tmp_path / "a.jsonl", "jsonl")

    frame = pd.read_csv(tmp_path / "a.csv", dtype=str, keep_default_na=False, encoding="utf-8")

    assert frame.to_dict("records") == [as_csv_cells(r) for r in read_jsonl(tmp_path / "a.jsonl")]


def test_csv_is_rfc4180_utf8(tricky: Seeder, tmp_path: Path) -> None:
    export(tricky, tmp_path / "a.csv", "csv")

    data = (tmp_path / "a.csv").read_bytes()
    assert data.startswith(b"source,url,version,")  # no BOM unless asked
    assert data.count(b"\r\n") == 4  # header, two rows, and the \r\n inside a quoted text
    assert "東京".encode() in data
    assert b'"Arsenal beat Spurs, 2-1.\nArteta said: ""We were brave, again.""' in data


def test_csv_with_bom_for_excel(tricky: Seeder, tmp_path: Path) -> None:
    export(tricky, tmp_path / "a.csv", "csv", bom=True)

    assert (tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbfsource,url,")
    with open(tmp_path / "a.csv", encoding="utf-8-sig", newline="") as fp:
        rows = list(csv.DictReader(fp))
    assert list(rows[0]) == EXPORT_COLUMNS
    assert rows[1]["title"] == "東京 and Москва bid for the Games 🏅"


def test_a_formula_is_neutralised_in_csv_only(seed: Seeder, tmp_path: Path) -> None:
    formula = '=HYPERLINK("https://evil.example.com","click")'
    seed.article(
        "https://demo.example.com/a.html", title=formula, authors=["@handle"], text="-1 point"
    )

    export(seed, tmp_path / "safe.csv", "csv")
    export(seed, tmp_path / "raw.csv", "csv", raw=True)
    export(seed, tmp_path / "a.jsonl", "jsonl")

    with open(tmp_path / "safe.csv", encoding="utf-8", newline="") as fp:
        [safe] = csv.DictReader(fp)
    with open(tmp_path / "raw.csv", encoding="utf-8", newline="") as fp:
        [raw] = csv.DictReader(fp)
    [record] = read_jsonl(tmp_path / "a.jsonl")
    fields = ("title", "authors", "text")
    assert [safe[f] for f in fields] == ["'" + formula, "'@handle", "'-1 point"]
    assert [raw[f] for f in fields] == [formula, "@handle", "-1 point"]
    assert [record[f] for f in fields] == [formula, ["@handle"], "-1 point"]


@pytest.mark.parametrize("value", ["=1+2", "+44 20", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_formula_prefixes_formula_starts(value: str) -> None:
    assert neutralise_formula(value) == "'" + value


@pytest.mark.parametrize("value", ["", "Arsenal 2-1 Spurs", "'quoted", " =spaced", "1e5"])
def test_neutralise_formula_leaves_text_alone(value: str) -> None:
    assert neutralise_formula(value) == value


def rows_then_failure(good: int) -> Iterator[dict[str, Any]]:
    for i in range(good):
        yield {"url": f"https://demo.example.com/{i}.html", "title": f"Row {i}"}
    raise RuntimeError("database went away")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_failed_export_leaves_no_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"export.{fmt}"

    with pytest.raises(ExportError, match=f"export.{fmt} failed.*database went away"):
        write_export(rows_then_failure(3), out, fmt)  # type: ignore[arg-type]

    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone too


def test_a_failed_export_keeps_the_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    out.write_bytes(b"yesterday's export\r\n")

    with pytest.raises(ExportError):
        write_export(rows_then_failure(1), out, "csv")

    assert out.read_bytes() == b"yesterday's export\r\n"
    assert list(tmp_path.iterdir()) == [out]


def test_export_into_a_missing_folder_names_it(tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "folder" / "export.csv"

    with pytest.raises(ExportError, match=r"folder .*folder does not exist\. Create it first"):
        write_export([], out, "csv")


def test_an_export_replaces_the_previous_file(tricky: Seeder, tmp_path: Path) -> None:
    folder = tmp_path / "exports"  # apart from the archive's files
    folder.mkdir()
    out = folder / "export.jsonl"
    out.write_text("old\n", encoding="utf-8")

    assert export(tricky, out, "jsonl") == 2

    assert len(read_jsonl(out)) == 2
    assert list(folder.iterdir()) == [out]


def test_chosen_columns_in_chosen_order(tricky: Seeder, tmp_path: Path) -> None:
    columns = ["title", "url", "word_count"]

    export(tricky, tmp_path / "a.csv", "csv", columns=columns)
    export(tricky, tmp_path / "a.jsonl", "jsonl", columns=columns)

    with open(tmp_path / "a.csv", encoding="utf-8", newline="") as fp:
        assert next(csv.reader(fp)) == columns
    records = read_jsonl(tmp_path / "a.jsonl")
    assert [list(r) for r in records] == [columns, columns]
    assert records[0]["word_count"] == 12


def test_unknown_columns_are_named_with_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as excinfo:
        write_export([], tmp_path / "a.csv", "csv", columns=["title", "body", "headline"])

    message = str(excinfo.value)
    assert "body, headline" in message
    assert ", ".join(EXPORT_COLUMNS) in message
    assert not (tmp_path / "a.csv").exists()


@pytest.mark.parametrize(
    ("fmt", "options", "match"),
    [
        ("xlsx", {}, "Unknown export format 'xlsx'"),
        ("jsonl", {"bom": True}, "only for CSV"),
        ("csv", {"columns": []}, "No export columns"),
    ],
)
def test_bad_options_are_refused(
    tmp_path: Path, fmt: str, options: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValidationError, match=match):
        write_export([], tmp_path / "a.out", fmt, **options)  # type: ignore[arg-type]


def test_an_empty_export_has_a_header_only(seed: Seeder, tmp_path: Path) -> None:
    assert export(seed, tmp_path / "a.csv", "csv") == 0
    assert export(seed, tmp_path / "a.jsonl", "jsonl") == 0

    assert (tmp_path / "a.csv").read_bytes() == ",".join(EXPORT_COLUMNS).encode() + b"\r\n"
    assert (tmp_path / "a.jsonl").read_bytes() == b""


# -- memory ----------------------------------------------------------------------------------------


def seed_many(seed: Seeder, count: int) -> None:
    writer = seed.writer(batch_size=500)
    for i in range(count):
        url = f"https://{seed.name}.example.com/{i}.html"
        content = seed.content(
            url,
            title=f"Article {i}",
            text=f"word{i} " * 200,
            links=[(f"https://{seed.name}.example.com/{i + 1}.html", "next")],
        )
        writer.add(seed.page(url, content))
    writer.flush()


def peak_memory(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_memory_does_not_grow_with_the_archive(seed: Seeder, tmp_path: Path) -> None:
    seed_many(seed.other_source("small"), 1_000)
    seed_many(seed.other_source("big"), 5_000)

    def count_rows(name: str) -> int:
        with seed.archive.session() as s:
            return sum(1 for _ in iter_export_rows(s, sources=[name]))

    def export_rows(name: str) -> int:
        with seed.archive.session() as s:
            return write_export(iter_export_rows(s, sources=[name]), tmp_path / "x.csv", "csv")

    assert count_rows("small") == 1_000  # also warms up SQLAlchemy's statement cache
    assert count_rows("big") == 5_000
    small, big = peak_memory(lambda: count_rows("small")), peak_memory(lambda: count_rows("big"))
    assert big < 3 * small, f"peak {big:,} B for 5,000 rows vs {small:,} B for 1,000"

    small, big = peak_memory(lambda: export_rows("small")), peak_memory(lambda: export_rows("big"))
    assert big < 3 * small, f"peak {big:,} B for 5,000 rows vs {small:,} B for 1,000"
