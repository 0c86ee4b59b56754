"""The archive is the ground floor: researchers use it without Scrapy, Twisted or trafilatura,
and it never imports the floors above it (crawler, scheduler, the pressbox CLI)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARCHIVE = ROOT / "archive"

IMPORT_ALL = (
    "import archive, archive.queries, archive.export, archive.sources, archive.store; "
    "import sys; "
    "bad = [m for m in ('scrapy', 'twisted', 'trafilatura', 'crawler') if m in sys.modules]; "
    "assert not bad, bad"
)
# `import crawler`, `from scrapy.http import ...`, `import pressbox as cli`, indented or not
UPWARD_IMPORT = re.compile(
    r"^\s*(?:import|from)\s+(crawler|scrapy|twisted|trafilatura|scheduler|pressbox)\b",
    re.MULTILINE,
)


def test_importing_the_archive_pulls_in_no_crawl_side_module() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_no_archive_module_imports_upward() -> None:
    modules = sorted(ARCHIVE.rglob("*.py"))
    assert len(modules) > 5, f"no archive modules found under {ARCHIVE}"

    offenders = {
        str(path.relative_to(ROOT)): match.group(0).strip()
        for path in modules
        for match in UPWARD_IMPORT.finditer(path.read_text(encoding="utf-8"))
    }
    assert offenders == {}
