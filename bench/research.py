"""Research-side benchmark: search latency, export speed and export memory on a large archive.

Builds a SQLite archive of synthetic articles through the archive's own writer
(``ArchiveWriter``: versions, links, FTS triggers, change stats, as a crawl writes them), then:

- **search**: median and p95 latency over 200 queries (words, phrases, prefixes, OR, NOT);
- **export**: rows/s for CSV and Parquet of the whole archive (with manifest and SHA-256);
- **memory**: peak RSS of an export process at 10,000 and at all rows (each export runs in a
  fresh subprocess so the figures do not mix).

Usage::

    python bench/research.py                    # 100,000 articles in a temporary folder
    python bench/research.py --articles 20000 --keep /tmp/bench
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.db import open_archive  # noqa: E402
from archive.revisit import RevisitPolicy  # noqa: E402
from archive.runs import start_run  # noqa: E402
from archive.sources import SourceSpec, add_source  # noqa: E402
from archive.store import ArchiveWriter, ArticleContent, PageRecord, content_hash  # noqa: E402

SMALL = 10_000  # articles in source "small"; the rest go to "big"
WORDS = [
    "arsenal",
    "spurs",
    "chelsea",
    "derby",
    "final",
    "cup",
    "league",
    "goal",
    "penalty",
    "winner",
    "keeper",
    "striker",
    "coach",
    "manager",
    "referee",
    "var",
    "offside",
    "corner",
    "header",
    "volley",
    "tackle",
    "defence",
    "midfield",
    "injury",
    "transfer",
    "season",
    "title",
    "relegation",
    "promotion",
    "fixture",
    "stadium",
    "crowd",
    "fans",
    "tennis",
    "serve",
    "volley",
    "break",
    "tiebreak",
    "set",
    "match",
    "rugby",
    "try",
    "scrum",
    "lineout",
    "cricket",
    "wicket",
    "innings",
    "over",
    "century",
    "bowler",
    "grand",
    "prix",
    "pole",
    "lap",
    "pit",
    "podium",
    "sprint",
    "marathon",
    "record",
    "medal",
    "olympic",
    "champion",
    "semi",
    "quarter",
    "comeback",
    "stoppage",
    "extra",
    "time",
    "shootout",
    "captain",
    "debut",
    "hattrick",
    "assist",
    "clean",
    "sheet",
]


def make_text(rng: random.Random, words: int) -> str:
    paragraphs = []
    for _ in range(max(1, words // 40)):
        sentence = " ".join(rng.choice(WORDS) for _ in range(40))
        paragraphs.append(sentence.capitalize() + ", said the reporter.")
    return "\n".join(paragraphs)


def build(db_url: str, articles: int, seed: int = 7) -> float:
    rng = random.Random(seed)
    archive = open_archive(db_url)
    started = time.perf_counter()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        for name, count, offset in (("small", SMALL, 0), ("big", articles - SMALL, SMALL)):
            with archive.session() as s:
                source = add_source(s, SourceSpec(name=name, url=f"https://{name}.example.com/"))
                run_id, source_id = start_run(s, source).id, source.id
            writer = ArchiveWriter(
                archive,
                source_id=source_id,
                run_id=run_id,
                policy=RevisitPolicy.parse(None),
                batch_size=2000,
            )
            for i in range(offset, offset + count):
                url = f"https://{name}.example.com/sport/{i}.html"
                title = " ".join(rng.choice(WORDS) for _ in range(6)).title()
                text = make_text(rng, 160)
                authors = [f"Reporter {i % 97}"]
                published = (base + timedelta(minutes=i)).isoformat()
                content = ArticleContent(
                    canonical_url=url,
                    title=title,
                    authors=authors,
                    published=published,
                    modified=None,
                    description=f"{title}: the report",
                    site_name=name,
                    language="en",
                    tags=["sport"],
                    text=text,
                    links=[],
                    related_links=[(f"https://{name}.example.com/sport/{i + 1}.html", "Next")],
                    content_hash=content_hash(
                        title=title, text=text, authors=authors, published=published, modified=None
                    ),
                    raw_html=None,
                    encoding="utf-8",
                    extractor="bench",
                    extractor_version="1",
                )
                at = base + timedelta(minutes=i, seconds=1)
                writer.add(
                    PageRecord(url=url, fetched_at=at, kind="page", status=200, article=content)
                )
            writer.flush()
    finally:
        archive.close()
    return time.perf_counter() - started


def queries(rng: random.Random, n: int) -> list[str]:
    out = []
    for k in range(n):
        a, b = rng.choice(WORDS), rng.choice(WORDS)
        out.append(
            [a, f'"{a} {b}"', f"{a[:4]}*", f"{a} OR {b}", f"{a} NOT {b}", f"title:{a}"][k % 6]
        )
    return out


def bench_search(db_url: str, n: int = 200) -> dict[str, float]:
    from archive.queries import search

    archive = open_archive(db_url)
    times = []
    try:
        with archive.session() as s:
            search(s, "warmup")
            for q in queries(random.Random(1), n):
                t = time.perf_counter()
                search(s, q, limit=20)
                times.append((time.perf_counter() - t) * 1000)
    finally:
        archive.close()
    times.sort()
    return {
        "median_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * len(times)) - 1],
        "max_ms": times[-1],
    }


def export_child(db_url: str, fmt: str, out: str, source: str | None) -> None:
    """Run one export and print its rows, seconds and peak RSS (MiB) as JSON."""
    from archive.export import export_dataset
    from archive.queries import Filters

    archive = open_archive(db_url)
    started = time.perf_counter()
    with archive.session() as s:
        manifest = export_dataset(
            s, Path(out), fmt, filters=Filters(sources=[source] if source else None)
        )  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    archive.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": manifest["rows"], "seconds": seconds, "peak_mib": peak_kib / 1024}))


def run_export(db_url: str, fmt: str, out: Path, source: str | None) -> dict[str, float]:
    args = [sys.executable, __file__, "--export-child", db_url, fmt, str(out)]
    if source:
        args.append(source)
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["rows_per_s"] = result["rows"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="Folder to build in and keep (default: temp).")
    parser.add_argument("--export-child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        db_url, fmt, out, *source = args.export_child
        export_child(db_url, fmt, out, source[0] if source else None)
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pressbox-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{folder / 'bench.db'}"
    if not (folder / "bench.db").exists():
        seconds = build(db_url, args.articles)
        print(
            f"built {args.articles:,} articles in {seconds:.0f}s ({args.articles / seconds:,.0f}/s)"
        )
    s = bench_search(db_url)
    print(
        f"search over {args.articles:,} articles, 200 queries: median {s['median_ms']:.1f} ms, "
        f"p95 {s['p95_ms']:.1f} ms, max {s['max_ms']:.1f} ms"
    )
    for fmt in ("csv", "parquet"):
        small = run_export(db_url, fmt, folder / f"small.{fmt}", "small")
        full = run_export(db_url, fmt, folder / f"all.{fmt}", None)
        print(
            f"export {fmt:7}: {full['rows']:,.0f} rows in {full['seconds']:.1f}s = "
            f"{full['rows_per_s']:,.0f} rows/s; peak RSS {small['peak_mib']:.0f} MiB at "
            f"{small['rows']:,.0f} rows, {full['peak_mib']:.0f} MiB at {full['rows']:,.0f} rows"
        )


if __name__ == "__main__":
    main()
