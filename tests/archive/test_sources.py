"""Sources as operators' data: add, list, get, remove, validate, import from TOML."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from archive.errors import NotFoundError, ValidationError
from archive.models import Article, Link, Version
from archive.sources import (
    SourceSpec,
    add_source,
    get_source,
    import_sources,
    list_sources,
    load_toml,
    remove_source,
    source_as_dict,
)

if TYPE_CHECKING:
    from archive.db import Archive
    from tests.archive.conftest import Seeder


def test_add_list_get_remove(archive_db: Archive) -> None:
    with archive_db.session() as s:
        add_source(
            s,
            SourceSpec(
                name="bbc-sport",
                url="HTTPS://www.BBC.co.uk/sport?utm_source=x",
                feeds=["https://feeds.bbci.co.uk/sport/rss.xml"],
                allow=[r"/sport/(football|tennis)/"],
                max_pages=50,
            ),
        )
        add_source(s, SourceSpec(name="athletic", url="https://theathletic.com/"))

    with archive_db.session() as s:
        assert [src.name for src in list_sources(s)] == ["athletic", "bbc-sport"]
        bbc = source_as_dict(get_source(s, "bbc-sport"))
    assert bbc["url"] == "https://www.bbc.co.uk/sport"  # normalised
    assert bbc["domains"] == ["bbc.co.uk", "feeds.bbci.co.uk"]
    assert bbc["max_pages"] == 50

    with archive_db.session() as s:
        remove_source(s, "athletic")
    with archive_db.session() as s:
        assert [src.name for src in list_sources(s)] == ["bbc-sport"]
        with pytest.raises(NotFoundError, match=r"'athletic' \(known: bbc-sport\)"):
            get_source(s, "athletic")


def test_adding_an_existing_name_is_refused(archive_db: Archive) -> None:
    with archive_db.session() as s:
        add_source(s, SourceSpec(name="demo", url="https://demo.example.com/"))
        with pytest.raises(ValidationError, match="'demo' already exists"):
            add_source(s, SourceSpec(name="demo", url="https://other.example.com/"))


def test_removing_a_source_removes_its_articles(seed: Seeder) -> None:
    seed.article(
        "https://demo.example.com/a.html",
        links=[("https://demo.example.com/b.html", "B")],
    )

    with seed.archive.session() as s:
        remove_source(s, "demo")

    with seed.archive.session() as s:
        for model in (Article, Version, Link):
            assert s.scalar(select(func.count()).select_from(model)) == 0, model.__name__


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"allow": ["/sport/(football"]}, "'/sport/(football'"),
        ({"deny": ["*.pdf"]}, "'*.pdf'"),
        ({"article": "[0-9"}, "'[0-9'"),
        ({"url": "ftp://demo.example.com/"}, "'ftp://demo.example.com/'"),
        ({"url": "demo.example.com"}, "'demo.example.com'"),
        ({"feeds": ["/feed.xml"]}, "'/feed.xml'"),
        ({"name": "bad name!"}, "'bad name!'"),
        ({"name": ""}, "''"),
        ({"max_pages": -5}, "--max-pages -5"),
        ({"max_pages": 0}, "--max-pages 0"),
        ({"max_depth": -1}, "--max-depth -1"),
        ({"delay": -0.5}, "--delay -0.5"),
        ({"revisit": "3h:15m,1d"}, "'1d'"),
        ({"revisit": "3h:15x"}, "'15x'"),
        ({"revisit": "1d:1h,3h:15m"}, "'1d:1h,3h:15m'"),
        ({"domains": ["exa mple.com"]}, "'exa mple.com'"),
    ],
)
def test_a_bad_field_is_refused_naming_the_value(
    archive_db: Archive, changes: dict[str, object], named: str
) -> None:
    fields: dict[str, object] = {"name": "demo", "url": "https://demo.example.com/"}
    fields.update(changes)

    with archive_db.session() as s:
        with pytest.raises(ValidationError) as excinfo:
            add_source(s, SourceSpec(**fields))  # type: ignore[arg-type]
        assert named in str(excinfo.value)
        assert list_sources(s) == []


DEMO_TOML = """
[[source]]
name = "demo"
url = "https://sport.example.com/"
feeds = "https://sport.example.com/feed.xml"
allow = ["/(football|tennis)/"]
article = '/\\d{4}/\\d{2}/[^/]+\\.html$'
max_pages = 500
revisit = "3h:15m,1d:1h"

[[source]]
name = "other"
url = "https://other.example.org/"
"""


def test_toml_import_adds_then_updates(archive_db: Archive, tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(DEMO_TOML, encoding="utf-8")

    with archive_db.session() as s:
        assert import_sources(s, load_toml(path)) == [("demo", "added"), ("other", "added")]
    with archive_db.session() as s:
        demo = source_as_dict(get_source(s, "demo"))
    assert demo["feeds"] == ["https://sport.example.com/feed.xml"]  # a string becomes a list
    assert demo["article"] == r"/\d{4}/\d{2}/[^/]+\.html$"
    assert demo["revisit"] == "3h:15m,1d:1h"

    path.write_text(DEMO_TOML.replace("max_pages = 500", "max_pages = 20"), encoding="utf-8")
    with archive_db.session() as s:
        assert import_sources(s, load_toml(path)) == [("demo", "updated"), ("other", "updated")]
    with archive_db.session() as s:
        assert get_source(s, "demo").max_pages == 20
        assert len(list_sources(s)) == 2


def test_toml_with_an_unknown_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(DEMO_TOML.replace("max_pages", "max_page"), encoding="utf-8")

    with pytest.raises(ValidationError, match=r"Source #1 .* unknown field\(s\) max_page; known"):
        load_toml(path)


def test_toml_file_problems_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(ValidationError, match=r"missing\.toml does not exist"):
        load_toml(missing)

    broken = tmp_path / "broken.toml"
    broken.write_text("[[source]\nname = ", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"broken\.toml is not valid TOML"):
        load_toml(broken)
