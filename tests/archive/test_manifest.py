"""Datasets: the manifest beside every export, Parquet, and delta exports since a manifest."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from archive.errors import ValidationError
from archive.export import EXPORT_COLUMNS, export_dataset
from archive.manifest import read_manifest, verify_manifest
from archive.queries import Filters

if TYPE_CHECKING:
    from tests.archive.conftest import Seeder


def export(seed: Seeder, out: Path, fmt: str = "csv", **options: Any) -> dict[str, Any]:
    with seed.archive.session() as s:
        return export_dataset(s, out, fmt, command="pressbox export", **options)  # type: ignore[arg-type]


@pytest.fixture
def three(seed: Seeder) -> Seeder:
    for name in ("derby", "cup", "final"):
        seed.article(f"https://demo.example.com/{name}.html", title=name.title(), text=f"{name}!")
    return seed


def test_the_manifest_describes_and_verifies_the_file(three: Seeder, tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    manifest = export(three, out, filters=Filters(sources=["demo"]))

    on_disk = json.loads((tmp_path / "a.csv.manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["rows"] == 3
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["columns"] == EXPORT_COLUMNS
    assert manifest["filters"]["sources"] == ["demo"]
    assert manifest["schema_version"] == "0002"
    assert manifest["extractors"] == [{"name": "test", "version": "1.0"}]
    assert manifest["command"] == "pressbox export"
    assert manifest["as_of"]
    assert manifest["max_version_id"] == 3
    assert verify_manifest(tmp_path / "a.csv.manifest.json") == []
    with open(out, newline="", encoding="utf-8") as fp:
        assert sum(1 for _ in csv.DictReader(fp)) == manifest["rows"]

    out.write_bytes(out.read_bytes() + b"tampered")
    assert verify_manifest(tmp_path / "a.csv.manifest.json") != []


def test_a_delta_export_holds_only_what_changed(three: Seeder, tmp_path: Path) -> None:
    export(three, tmp_path / "full.jsonl", "jsonl")
    three.article("https://demo.example.com/cup.html", title="Cup", text="cup! Replay on Tuesday.")
    three.article("https://demo.example.com/new.html", title="New", text="news")

    manifest = export(
        three,
        tmp_path / "delta.jsonl",
        "jsonl",
        since_manifest=tmp_path / "full.jsonl.manifest.json",
    )

    rows = [json.loads(line) for line in (tmp_path / "delta.jsonl").read_text().splitlines()]
    assert [(r["url"], r["version"]) for r in rows] == [
        ("https://demo.example.com/cup.html", 2),
        ("https://demo.example.com/new.html", 1),
    ]
    assert manifest["since_manifest"]["file"] == "full.jsonl"
    assert manifest["rows"] == 2
    again = export(
        three, tmp_path / "d2.jsonl", "jsonl", since_manifest=tmp_path / "delta.jsonl.manifest.json"
    )
    assert again["rows"] == 0


def test_a_delta_reuses_the_filters_and_refuses_others(three: Seeder, tmp_path: Path) -> None:
    export(three, tmp_path / "a.csv", filters=Filters(query="derby"))
    three.article("https://demo.example.com/cup.html", title="Cup", text="derby cup")
    three.article("https://demo.example.com/final.html", title="Final", text="final again")
    old = tmp_path / "a.csv.manifest.json"

    assert export(three, tmp_path / "b.csv", since_manifest=old)["rows"] == 1
    with pytest.raises(ValidationError, match="reuses the filters"):
        export(three, tmp_path / "c.csv", since_manifest=old, filters=Filters(lang="en"))
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValidationError, match="not a pressbox export manifest"):
        read_manifest(tmp_path / "x.json")


def test_parquet_holds_the_jsonl_rows(three: Seeder, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is the parquet extra")
    export(three, tmp_path / "a.jsonl", "jsonl")
    manifest = export(three, tmp_path / "a.parquet", "parquet")

    table = pq.read_table(tmp_path / "a.parquet")
    jsonl = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert table.num_rows == manifest["rows"] == 3
    assert table.column_names == EXPORT_COLUMNS
    for row, record in zip(table.to_pylist(), jsonl, strict=True):
        row["first_seen"] = row["first_seen"].isoformat()
        row["fetched_at"] = row["fetched_at"].isoformat()
        assert row == record
