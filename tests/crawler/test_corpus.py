"""Extraction quality on the shared corpus of 172 real pages (see ../shared/corpus/README.md).

The pages are read from the corpus folder, never copied into the repository. The folder is
``$PRESSBOX_CORPUS``, else ``<repo>/../shared/corpus``; the tests are skipped when it is absent.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import trafilatura

from crawler.extract import extract

pytestmark = pytest.mark.corpus

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("PRESSBOX_CORPUS") or ROOT.parent / "shared" / "corpus")

#: Quality floors on the pages that have each field annotated.
FLOORS = {"title": ("norm", 0.95), "author": ("loose", 0.90), "date": ("same_day", 0.95)}


def _need_corpus() -> None:
    if not (CORPUS / "ground_truth.jsonl").exists():
        pytest.skip(f"corpus not found at {CORPUS} (set PRESSBOX_CORPUS to its folder)")


@pytest.fixture(scope="module")
def scorer() -> ModuleType:
    _need_corpus()
    spec = importlib.util.spec_from_file_location(
        "score_extraction", CORPUS / "score_extraction.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pages() -> list[tuple[dict[str, Any], bytes]]:
    _need_corpus()
    out = []
    with (CORPUS / "ground_truth.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                gt = json.loads(line)
                out.append((gt, gzip.decompress((CORPUS / gt["file"]).read_bytes())))
    return out


@pytest.fixture(scope="module")
def pressbox_preds(pages: list[tuple[dict[str, Any], bytes]]) -> dict[str, dict[str, Any]]:
    preds = {}
    for gt, html in pages:
        ex = extract(html, gt["url"], content_type="text/html")
        preds[gt["id"]] = {
            "text": ex.text,
            "title": ex.title,
            "author": ", ".join(ex.authors),
            "date": ex.published,
            "is_article": ex.is_article,
        }
    return preds


def test_body_f1_is_no_worse_than_trafilatura_default(
    scorer: ModuleType,
    pages: list[tuple[dict[str, Any], bytes]],
    pressbox_preds: dict[str, dict[str, Any]],
) -> None:
    baseline = {}
    for gt, html in pages:
        doc = trafilatura.bare_extraction(html, url=gt["url"], with_metadata=True)
        baseline[gt["id"]] = {"text": (doc.text if doc is not None else "") or ""}
    rows = [gt for gt, _ in pages]
    ours = scorer.score(rows, pressbox_preds)["body"]["f1"]
    theirs = scorer.score(rows, baseline)["body"]["f1"]
    # Differences below ~0.006 are noise (bootstrap std, corpus README); allow that much.
    assert ours >= theirs - 0.005, f"body F1 {ours:.3f} < trafilatura default {theirs:.3f}"


@pytest.mark.parametrize("field", sorted(FLOORS))
def test_metadata_floors(
    scorer: ModuleType,
    pages: list[tuple[dict[str, Any], bytes]],
    pressbox_preds: dict[str, dict[str, Any]],
    field: str,
) -> None:
    key, floor = FLOORS[field]
    result = scorer.score([gt for gt, _ in pages], pressbox_preds)[field]
    assert result[key] >= floor, f"{field} {key} = {result[key]:.3f} on {result['n']} pages"


def test_every_corpus_page_is_recognised_as_an_article(
    pressbox_preds: dict[str, dict[str, Any]],
) -> None:
    not_articles = sorted(i for i, p in pressbox_preds.items() if not p["is_article"])
    assert not_articles == []
