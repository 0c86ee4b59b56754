"""Benchmark pressbox's extraction against trafilatura's default on the shared corpus.

Usage::

    python bench/extraction.py [--corpus DIR] [--out DIR] [--only pressbox|trafilatura]

Writes ``pressbox.jsonl`` and ``trafilatura.jsonl`` (one prediction per page) and the scorer's
per-page details into ``--out``, then prints the scorer's table and the median milliseconds
per page of each system, both measured in this run (one process, after one warm-up page).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Prediction = dict[str, object]


def default_corpus() -> Path:
    return Path(os.environ.get("PRESSBOX_CORPUS") or ROOT.parent / "shared" / "corpus")


def load_pages(corpus: Path) -> list[tuple[dict[str, object], bytes]]:
    pages = []
    with (corpus / "ground_truth.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                gt = json.loads(line)
                pages.append((gt, gzip.decompress((corpus / str(gt["file"])).read_bytes())))
    return pages


def pressbox_predict(html: bytes, url: str) -> Prediction:
    from crawler.extract import extract

    ex = extract(html, url, content_type="text/html")
    return {
        "text": ex.text,
        "title": ex.title,
        "author": ", ".join(ex.authors) or None,
        "date": ex.published,
    }


def trafilatura_predict(html: bytes, url: str) -> Prediction:
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None or isinstance(doc, dict):
        return {"text": "", "title": None, "author": None, "date": None}
    d = doc.as_dict()
    return {
        "text": d.get("text") or "",
        "title": d["title"],
        "author": d["author"],
        "date": d["date"],
    }


SYSTEMS: dict[str, Callable[[bytes, str], Prediction]] = {
    "pressbox": pressbox_predict,
    "trafilatura": trafilatura_predict,
}


def run(name: str, pages: list[tuple[dict[str, object], bytes]], out: Path) -> float:
    """Write the predictions of one system; return its median ms per page."""
    predict = SYSTEMS[name]
    predict(pages[0][1], str(pages[0][0]["url"]))  # warm-up: imports, caches
    times = []
    with (out / f"{name}.jsonl").open("w", encoding="utf-8") as f:
        for gt, html in pages:
            start = time.perf_counter()
            pred = predict(html, str(gt["url"]))
            times.append((time.perf_counter() - start) * 1000)
            f.write(json.dumps({"id": gt["id"], **pred}, ensure_ascii=False) + "\n")
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=default_corpus(), help="corpus folder")
    ap.add_argument("--out", type=Path, default=Path("bench-out"), help="output folder")
    ap.add_argument("--only", choices=sorted(SYSTEMS), help="run one system only")
    args = ap.parse_args(argv)
    if not (args.corpus / "ground_truth.jsonl").exists():
        ap.error(f"no ground_truth.jsonl in {args.corpus}; pass --corpus or set PRESSBOX_CORPUS")
    args.out.mkdir(parents=True, exist_ok=True)
    pages = load_pages(args.corpus)
    names = [args.only] if args.only else list(SYSTEMS)
    ms = {name: run(name, pages, args.out) for name in names}
    cmd = [
        sys.executable,
        str(args.corpus / "score_extraction.py"),
        str(args.corpus / "ground_truth.jsonl"),
        *(f"{name}={args.out / (name + '.jsonl')}" for name in names),
        "--json",
        str(args.out / "scores.json"),
        "--details",
        str(args.out / "details"),
    ]
    subprocess.run(cmd, check=True)
    print()
    for name in names:
        print(f"{name}: {ms[name]:.1f} ms/page (median over {len(pages)} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
