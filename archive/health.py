"""Health of the crawls: flagging runs that look wrong, and the per-source ``status`` summary.

A finished run is **flagged** when

- it failed or timed out;
- its error rate (errors / pages fetched) is above ``PRESSBOX_HEALTH_MAX_ERROR_RATE`` (default
  0.5), or it fetched nothing at all;
- it saw far fewer pages or articles than the source's recent good runs: below
  ``PRESSBOX_HEALTH_MIN_RATIO`` (default 0.25) of their median, when that median is at least
  ``PRESSBOX_HEALTH_MIN_BASELINE`` (default 10). So "zero articles where there are usually
  dozens" is flagged, and a quiet site that usually yields two articles is not. The baseline is
  the last 10 successful runs except the source's first (a backfill); a drop that lasts becomes
  the new normal after about five runs (the error-rate rule does not fade).

Skipped and aborted runs (an overlap, or an operator stopping the scheduler) are not flagged. A
source has a **problem** while its latest finished run is flagged; one good run clears it.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.models import Article, CrawlRun, Schedule, Source
from archive.types import utcnow

__all__ = ["HealthRules", "evaluate_run", "source_status"]

#: How many of a source's recent good runs make its baseline.
BASELINE_RUNS = 10
#: Outcomes that say nothing about the site's health.
_NEUTRAL = ("running", "skipped", "aborted")


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True, slots=True)
class HealthRules:
    max_error_rate: float = 0.5
    min_ratio: float = 0.25
    min_baseline: float = 10

    @classmethod
    def from_env(cls) -> HealthRules:
        return cls(
            max_error_rate=_env_float("PRESSBOX_HEALTH_MAX_ERROR_RATE", 0.5),
            min_ratio=_env_float("PRESSBOX_HEALTH_MIN_RATIO", 0.25),
            min_baseline=_env_float("PRESSBOX_HEALTH_MIN_BASELINE", 10),
        )


def _articles(run: CrawlRun) -> int:
    return run.articles_new + run.versions_new + run.unchanged


def evaluate_run(session: Session, run: CrawlRun, rules: HealthRules | None = None) -> str | None:
    """Flag a finished run when it looks wrong; returns (and stores) the reason, or None.

    Args:
        session: a write session.
        run: the finished run (status other than ``running``).
        rules: thresholds (default: from the environment).
    """
    rules = rules or HealthRules.from_env()
    reasons: list[str] = []
    if run.status in ("failed", "timed_out"):
        reasons.append(f"{run.status.replace('_', ' ')}: {run.message or 'no message'}")
    elif run.status not in _NEUTRAL:
        if run.pages_fetched == 0:
            reasons.append("no pages fetched")
        elif run.errors / run.pages_fetched > rules.max_error_rate:
            reasons.append(
                f"error rate {run.errors / run.pages_fetched:.0%} "
                f"({run.errors} of {run.pages_fetched} pages)"
            )
        # The baseline: the source's recent successful runs, but not its first one (a backfill
        # of everything the site lists is no measure of an ordinary run).
        first = session.scalar(
            select(func.min(CrawlRun.id)).where(
                CrawlRun.source_id == run.source_id, CrawlRun.status == "ok"
            )
        )
        recent = list(
            session.scalars(
                select(CrawlRun)
                .where(
                    CrawlRun.source_id == run.source_id,
                    CrawlRun.id != run.id,
                    CrawlRun.id != first,
                    CrawlRun.status == "ok",
                )
                .order_by(CrawlRun.id.desc())
                .limit(BASELINE_RUNS)
            )
        )
        if recent:
            for what, value, usual in (
                ("pages", run.pages_fetched, statistics.median(r.pages_fetched for r in recent)),
                ("articles", _articles(run), statistics.median(_articles(r) for r in recent)),
            ):
                if usual >= rules.min_baseline and value < usual * rules.min_ratio:
                    reasons.append(f"{value} {what} where recent runs saw about {usual:g}")
    run.flagged = bool(reasons)
    run.flag_reason = "; ".join(reasons) or None
    return run.flag_reason


def source_status(
    session: Session, *, window: timedelta = timedelta(days=1)
) -> list[dict[str, Any]]:
    """One row per source: its schedule, last (successful) run, last day's articles and error
    rate, and its problem (the latest finished run's flag), if any."""
    since = utcnow() - window
    rows = []
    for source in session.scalars(select(Source).order_by(Source.name)):
        schedule = session.scalars(select(Schedule).where(Schedule.source_id == source.id)).first()
        runs = select(CrawlRun).where(CrawlRun.source_id == source.id)
        last = session.scalars(
            runs.where(CrawlRun.status.not_in(("running", "skipped")))
            .order_by(CrawlRun.id.desc())
            .limit(1)
        ).first()
        last_ok = session.scalars(
            runs.where(CrawlRun.status == "ok").order_by(CrawlRun.id.desc()).limit(1)
        ).first()
        pages, errors = session.execute(
            select(
                func.coalesce(func.sum(CrawlRun.pages_fetched), 0),
                func.coalesce(func.sum(CrawlRun.errors), 0),
            ).where(CrawlRun.source_id == source.id, CrawlRun.started_at >= since)
        ).one()
        articles = session.scalar(
            select(func.count(Article.id)).where(
                Article.source_id == source.id, Article.first_seen >= since
            )
        )
        running = session.scalar(
            select(func.count(CrawlRun.id)).where(
                CrawlRun.source_id == source.id, CrawlRun.status == "running"
            )
        )
        judged = session.scalars(
            runs.where(CrawlRun.status.not_in(_NEUTRAL)).order_by(CrawlRun.id.desc()).limit(1)
        ).first()
        problem = None
        if judged is not None and judged.flagged:
            problem = f"run #{judged.id}: {judged.flag_reason}"
        rows.append(
            {
                "source": source.name,
                "scheduled": _schedule_state(schedule),
                "running": bool(running),
                "last_run": _iso(last.finished_at or last.started_at) if last else None,
                "last_outcome": last.status if last else None,
                "last_ok": _iso(last_ok.finished_at or last_ok.started_at) if last_ok else None,
                "articles_24h": int(articles or 0),
                "error_rate_24h": round(errors / pages, 3) if pages else None,
                "problem": problem,
            }
        )
    return rows


def _schedule_state(schedule: Schedule | None) -> str:
    if schedule is None:
        return "no"
    return "paused" if schedule.paused else "yes"


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")
