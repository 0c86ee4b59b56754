"""When to check a known article again: often while it is young, rarely once it is old.

The default policy checks an article every 15 minutes while it is under 3 hours old, hourly while
under a day, every 3 hours while under a week, daily while under a month, then never again. A
source can override it with a policy string: comma-separated ``AGE:INTERVAL`` steps, e.g.
``"3h:15m,1d:1h,7d:3h,30d:1d"`` (the default). Durations use ``s``, ``m``, ``h``, ``d``, ``w``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from archive.errors import ValidationError

__all__ = ["DEFAULT_POLICY", "RevisitPolicy", "parse_duration"]

DEFAULT_POLICY = "3h:15m,1d:1h,7d:3h,30d:1d"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(text: str) -> timedelta:
    """Parse ``90s``, ``30m``, ``6h``, ``2d`` or ``1w`` into a timedelta.

    Raises:
        ValidationError: naming the bad text and the accepted form.
    """
    m = _DURATION.match(text)
    if not m:
        raise ValidationError(
            f"Bad duration {text!r}: use a number and a unit s, m, h, d or w (e.g. 90s, 30m, 6h)."
        )
    seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds <= 0:
        raise ValidationError(f"Bad duration {text!r}: it must be greater than zero.")
    return timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class RevisitPolicy:
    """Steps of (maximum age, interval); an article older than the last step is not revisited."""

    steps: tuple[tuple[timedelta, timedelta], ...]

    @classmethod
    def parse(cls, text: str | None) -> RevisitPolicy:
        """Parse a policy string (None or empty gives the default policy)."""
        text = (text or DEFAULT_POLICY).strip()
        steps: list[tuple[timedelta, timedelta]] = []
        for part in text.split(","):
            age, sep, interval = part.partition(":")
            if not sep:
                raise ValidationError(
                    f"Bad revisit policy step {part.strip()!r} in {text!r}: write AGE:INTERVAL, "
                    f"e.g. {DEFAULT_POLICY!r}."
                )
            steps.append((parse_duration(age), parse_duration(interval)))
        ages = [a for a, _ in steps]
        if ages != sorted(ages):
            raise ValidationError(
                f"Bad revisit policy {text!r}: list the ages in increasing order."
            )
        return cls(tuple(steps))

    def interval(self, age: timedelta) -> timedelta | None:
        """The wait before the next check of an article of ``age``, or None to stop revisiting."""
        for max_age, interval in self.steps:
            if age < max_age:
                return interval
        return None

    def next_check(
        self, *, fetched_at: datetime, published: datetime | None, first_seen: datetime
    ) -> datetime | None:
        """When an article fetched at ``fetched_at`` is next due (None: never again).

        The age counts from the published date when the page gives one (and it is not in the
        future), else from when the archive first saw the article.
        """
        born = published if published is not None and published <= fetched_at else first_seen
        interval = self.interval(fetched_at - born)
        return None if interval is None else fetched_at + interval
