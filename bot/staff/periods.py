"""The period of a staff report from --since/--until (a date, a time or an age like 7d),
else the last 30 days; and a period as JSON."""

from __future__ import annotations

import datetime as dt
import re

from bot.store.records import Period

DEFAULT_DAYS = 30


class PeriodError(ValueError):
    """A --since/--until value that is not a date, a time or an age like 7d."""


_AGE = re.compile(r"^(\d+)\s*([dhw])$")


def parse_when(text: str, now: dt.datetime, *, end: bool = False) -> dt.datetime:
    """A time from YYYY-MM-DD, an ISO time, or an age (7d, 12h, 2w) before `now`.

    A bare date as the end of a period includes that whole day (UTC).
    """
    text = text.strip()
    m = _AGE.match(text.lower())
    if m:
        unit = {"d": "days", "h": "hours", "w": "weeks"}[m.group(2)]
        return now - dt.timedelta(**{unit: int(m.group(1))})
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            when = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            return when + dt.timedelta(days=1) if end else when
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PeriodError(f"not a date, time or age (7d, 12h, 2w): {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def make_period(since: str | None, until: str | None, *, everything: bool = False,
                days: int = DEFAULT_DAYS, now: dt.datetime | None = None) -> Period:
    """The period of a report: --since/--until, else the last `days` days, or all of it."""
    now = now or dt.datetime.now(dt.UTC)
    start = parse_when(since, now) if since else None
    stop = parse_when(until, now, end=True) if until else None
    if start is None and not everything:
        start = now - dt.timedelta(days=days)
    if start and stop and start >= stop:
        raise PeriodError("--since must be before --until")
    return Period(start, stop)


def period_json(p: Period) -> dict[str, str | None]:
    return {"since": p.since.isoformat() if p.since else None,
            "until": p.until.isoformat() if p.until else None}
