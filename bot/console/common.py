"""What several pages share: the period chosen in the query string, the current FAQ, and
small lookups (an entry's question, a region's name)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.kb import Entry, KnowledgeBase
from bot.staff import periods
from bot.store.records import Period

PERIOD_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Chosen:
    """The period of a page, as chosen in its form (kept in links and hidden fields)."""

    period: Period
    days: int | None  # 7/30/90, or None for a custom since/until
    since: str
    until: str
    error: bool = False

    @property
    def params(self) -> dict[str, str]:
        if self.days is not None:
            return {"days": str(self.days)}
        return {"since": self.since, "until": self.until}


def chosen_period(query: Mapping[str, str], now: dt.datetime | None = None) -> Chosen:
    """7/30/90 days (days=…), or a custom since/until (YYYY-MM-DD, until inclusive)."""
    # Whole minutes: the same choice a few seconds apart is the same period (and cache key).
    now = (now or dt.datetime.now(dt.UTC)).replace(second=0, microsecond=0)
    since, until = query.get("since", "").strip(), query.get("until", "").strip()
    if since or until:
        try:
            return Chosen(periods.make_period(since or None, until or None, now=now), None,
                          since, until)
        except periods.PeriodError:
            pass
        error = True
    else:
        error = False
    raw = query.get("days", "")
    days = int(raw) if raw.isdigit() and int(raw) in PERIOD_DAYS else DEFAULT_DAYS
    return Chosen(periods.make_period(None, None, days=days, now=now), days, "", "", error)


def day_labels(period: Period, today: dt.date | None = None) -> list[str]:
    """Every UTC day the period touches, oldest first (so empty days show as gaps)."""
    end = (period.until or dt.datetime.now(dt.UTC)).date()
    if period.until and period.until.time() == dt.time(0, tzinfo=dt.UTC):
        end -= dt.timedelta(days=1)
    start = period.since.date() if period.since else end - dt.timedelta(days=29)
    n = min((end - start).days + 1, 400)
    return [(start + dt.timedelta(days=i)).isoformat() for i in range(max(n, 0))]


def question_of(kb: KnowledgeBase, entry_id: str | None, lang: str) -> str:
    if entry_id and entry_id in kb.by_id:
        return kb.entry(entry_id).question(lang)
    return ""


def answer_of(entry: Entry, lang: str) -> str:
    v = entry.variants[0]
    return v.answer.get(lang) or v.answer.get("zh") or ""
