"""What goes into the query log and how times are stored: `QueryRecord` (one question),
`record_from_result` (a record for an engine result), query ids, the stored time format
and `Period`, the [since, until) window every report takes."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any


def new_query_id() -> str:
    """A short random url-safe id (12 chars), made before the write for callback data."""
    return secrets.token_urlsafe(9)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ts_text(when: dt.datetime) -> str:
    """The stored form of a time: UTC, fixed width, so text order is time order."""
    if when.tzinfo is None:  # naive means UTC here
        when = when.replace(tzinfo=dt.UTC)
    elif when.tzinfo is not dt.UTC:
        when = when.astimezone(dt.UTC)
    return when.isoformat(timespec="milliseconds")[:23] + "Z"


@dataclass(frozen=True)
class QueryRecord:
    query_id: str
    channel: str  # "telegram" | "cli"
    chat_type: str | None  # "private" | "group" | "supergroup" | "channel" | None
    user_id: int | str | None  # RAW platform id: HMACed here, never stored
    lang: str
    region: str | None
    text: str  # raw: masked and truncated before writing
    normalized: str
    status: str
    entry_id: str | None
    score: float
    suggestions: tuple[str, ...]  # entry ids offered
    latency_ms: float
    ts: dt.datetime  # UTC
    reason: str | None = None  # the engine's reason (no_match, empty, region_not_covered…)
    topic: str | None = None


def record_from_result(
    result: Any,
    *,
    channel: str,
    chat_type: str | None,
    user_id: int | str | None,
    latency_ms: float,
    query_id: str | None = None,
) -> QueryRecord:
    """A log record for an engine `Result` (bot.core.engine.Result)."""
    mention = getattr(result, "mention", None)
    # The region the question was about: the place named, else the user's preference.
    region = (mention.scope if mention is not None else None) or result.preferred_region
    return QueryRecord(
        query_id=query_id or new_query_id(),
        channel=channel,
        chat_type=chat_type,
        user_id=user_id,
        lang=result.lang,
        region=region,
        text=result.question,
        normalized=result.normalized,
        status=result.status,
        entry_id=result.entry_id,
        score=float(result.score),
        suggestions=tuple(s.entry_id for s in result.suggestions),
        latency_ms=float(latency_ms),
        ts=utc_now(),
        reason=result.reason,
        topic=result.topic,
    )


@dataclass(frozen=True)
class Period:
    """[since, until) in UTC; None is open-ended."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def bounds(self) -> tuple[str, str]:
        lo = ts_text(self.since) if self.since else ""
        hi = ts_text(self.until) if self.until else "9999"
        return lo, hi

    def split_days(self) -> tuple[tuple[str, str] | None, list[tuple[str, str]]]:
        """The whole UTC days inside the period as a [first, end) day range (None if there
        are none), and the partial days at its ends as [lo, hi) time ranges."""
        lo, hi = self.bounds()
        first = _day_at_or_after(self.since) if self.since else ""
        end = _day_at_or_after(self.until, ceil=False) if self.until else "9999"
        if first >= end:  # no whole day inside: count the (short) period directly
            return None, [(lo, hi)]
        edges = []
        if self.since and lo < first:
            edges.append((lo, first))
        if self.until and end + "T00:00:00.000Z" < hi:
            edges.append((end, hi))
        return (first, end), edges


def _day_at_or_after(when: dt.datetime, ceil: bool = True) -> str:
    """The UTC day starting at or after `when` (ceil) or the day containing it (floor)."""
    t = ts_text(when)
    day = dt.date.fromisoformat(t[:10])
    if ceil and t[10:] != "T00:00:00.000Z":
        day += dt.timedelta(days=1)
    return day.isoformat()
