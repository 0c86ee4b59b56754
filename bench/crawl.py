"""Crawl benchmark: pressbox against a fetch-only Scrapy crawl of the same generated site.

    python bench/crawl.py [--articles 2000] [--out DIR]

Serves a generated sports site on 127.0.0.1 (a subprocess), then measures in one run:

1. baseline: a fetch-only Scrapy spider (bench/fetch_only.py) that reads the sitemap and fetches
   every article, storing nothing;
2. ``pressbox crawl`` of the same site into a fresh SQLite archive (discovery, extraction in the
   process pool, versioned storage);
3. ``pressbox crawl`` again on the unchanged site, as operators run it: known articles are only
   refetched when due, listing pages are asked with conditional requests;
4. ``pressbox crawl --revisit all``: every known article refetched (conditional requests).

Both crawls use the same Scrapy settings (AutoThrottle off: the server is ours, on loopback).
Prints pages/s, the ratio to the baseline, peak memory (largest process, RSS) and the bytes the
recrawl added to the database.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {"AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "WARNING"}


def start_site(articles: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.demo.server", "--articles", str(articles), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"demo server did not start (printed {url!r})")
    return proc, url


CPU: dict[str, float] = {}


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run cmd in a wrapper process that reports its peak child RSS; (seconds, peak KiB, stdout).
    Its CPU seconds (children included) are left in CPU["last"]."""
    wrapper = (
        "import resource, subprocess, sys, json;"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "print(json.dumps({'rc': p.returncode, 'out': p.stdout, 'err': p.stderr[-2000:],"
        " 'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
        " 'cpu': resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime"
        " + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime}))"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], env=env, capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    info = json.loads(done.stdout)
    if info["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({info['rc']}):\n{info['err']}")
    CPU["last"] = float(info["cpu"])
    return elapsed, int(info["rss"]), info["out"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=None, help="keep the archive here")
    args = parser.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="pressbox-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db_file = work / "bench.db"
    for old in work.glob("bench.db*"):
        old.unlink()
    db = f"sqlite:///{db_file}"
    env = dict(os.environ, PRESSBOX_LOG_DIR=str(work / "logs"), PYTHONPATH=str(ROOT))
    settings = [a for k, v in SETTINGS.items() for a in ("-s", f"{k}={v}")]
    site, base = start_site(args.articles)
    server_cpu: list[float] = []
    crawl_cpu: list[float] = []

    def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
        before = cpu_seconds(site.pid)
        result = measured(cmd, env)
        server_cpu.append(cpu_seconds(site.pid) - before)
        crawl_cpu.append(CPU["last"])
        return result

    try:
        # 1. baseline: fetch-only
        base_s, base_rss, out = run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "runspider",
                str(ROOT / "bench" / "fetch_only.py"),
                "-a",
                f"base={base}",
                *settings,
                "-s",
                "ITEM_PIPELINES={}",
            ],
            dict(env, SCRAPY_SETTINGS_MODULE="crawler.settings"),
        )
        base_pages = int(out.strip().splitlines()[-1])
        # 2. pressbox crawl into a fresh archive
        pb = [sys.executable, "-m", "pressbox"]
        subprocess.run(
            [*pb, "source", "add", "bench", "--url", f"{base}/", "--db", db],
            env=env,
            check=True,
            capture_output=True,
        )
        set_args = [a for k, v in SETTINGS.items() for a in ("--set", f"{k}={v}")]
        crawl_s, crawl_rss, out = run(
            [*pb, "crawl", "bench", "--db", db, "--format", "json", *set_args], env
        )
        first = json.loads(out)
        size_after_first = db_bytes(db_file)
        # 3. recrawl of the unchanged site, as an operator runs it (known articles only when due)
        re_s, _re_rss, out = run(
            [*pb, "crawl", "bench", "--db", db, "--format", "json", *set_args], env
        )
        second = json.loads(out)
        size_after_second = db_bytes(db_file)
        # 4. and refetching every known article (conditional requests: 304s)
        all_s, _all_rss, out = run(
            [*pb, "crawl", "bench", "--db", db, "--revisit", "all", "--format", "json", *set_args],
            env,
        )
        third = json.loads(out)
        size_after_third = db_bytes(db_file)
    finally:
        site.terminate()
        site.wait()

    base_rate = base_pages / base_s
    crawl_rate = first["pages_fetched"] / crawl_s
    re_rate = second["pages_fetched"] / re_s
    print(f"site: {args.articles} articles at {base}; {os.cpu_count()} cores")
    print(
        f"baseline fetch-only : {base_pages:6d} pages in {base_s:6.1f}s = {base_rate:7.1f} pages/s"
        f"  peak RSS {base_rss / 1024:.0f} MiB"
    )
    print(
        f"pressbox crawl      : {first['pages_fetched']:6d} pages in {crawl_s:6.1f}s = "
        f"{crawl_rate:7.1f} pages/s  peak RSS {crawl_rss / 1024:.0f} MiB  "
        f"({first['articles_new']} articles, db {size_after_first / 1e6:.1f} MB)"
    )
    print(
        f"CPU seconds (crawler incl. extraction workers / test server): baseline "
        f"{crawl_cpu[0]:.1f} / {server_cpu[0]:.1f}, pressbox {crawl_cpu[1]:.1f} / "
        f"{server_cpu[1]:.1f} -- {os.cpu_count()} cores give "
        f"{(os.cpu_count() or 1) * crawl_s:.1f} CPU-s in the pressbox crawl's time"
    )
    print(f"ratio crawl/baseline: {crawl_rate / base_rate:.2f}x (target >= 0.8x)")
    print(
        f"unchanged recrawl   : {second['pages_fetched']:6d} pages in {re_s:6.1f}s = "
        f"{re_rate:7.1f} pages/s  new versions {second['versions_new']}, "
        f"db +{size_after_second - size_after_first} bytes"
    )
    print(
        f"recrawl speed-up    : {crawl_s / re_s:.1f}x faster than the first crawl (target >= 10x)"
    )
    print(
        f"revisit-all recrawl : {third['pages_fetched']:6d} pages in {all_s:6.1f}s = "
        f"{third['pages_fetched'] / all_s:7.1f} pages/s  unchanged {third['unchanged']}, "
        f"new versions {third['versions_new']}, db +{size_after_third - size_after_second} bytes "
        f"({crawl_s / all_s:.1f}x faster than the first crawl)"
    )


if __name__ == "__main__":
    main()
