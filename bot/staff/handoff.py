"""Figures of the human handoff (tickets per day, first-response time p50/p90, share
resolved, ratings) and the staff answers offered for the FAQ. SQL in bot.store.tickets."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.querystore import QueryStore
from bot.store.records import Period
from bot.store.tickets import FaqSuggestion


@dataclass(frozen=True)
class HandoffStats:
    tickets: int
    by_day: tuple[tuple[str, int], ...]  # (UTC day opened, tickets)
    answered: int  # got at least one staff reply
    first_response_p50_s: float | None  # seconds from opening to the first staff reply
    first_response_p90_s: float | None
    resolved: int  # answered by staff, then closed by staff or the resident
    open: int
    by_closer: dict[str, int]  # resident | staff | idle | unavailable
    helpful: int
    unhelpful: int

    @property
    def resolved_share(self) -> float:
        return self.resolved / self.tickets if self.tickets else 0.0


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile (q in 0..100) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


async def handoff_stats(store: QueryStore, period: Period) -> HandoffStats:
    rows = await store.ticket_rows(period)
    days: Counter[str] = Counter(day for day, *_ in rows)
    waits = [float(s) for _, s, *_ in rows if s is not None]
    closers: Counter[str] = Counter(by for _, _, state, by, _ in rows if state == "closed" and by)
    resolved = sum(1 for _, s, state, by, _ in rows
                   if s is not None and state == "closed" and by in ("staff", "resident"))
    return HandoffStats(
        tickets=len(rows), by_day=tuple(sorted(days.items())), answered=len(waits),
        first_response_p50_s=percentile(waits, 50), first_response_p90_s=percentile(waits, 90),
        resolved=resolved, open=sum(1 for r in rows if r[2] == "open"),
        by_closer=dict(sorted(closers.items())),
        helpful=sum(1 for r in rows if r[4] == 1), unhelpful=sum(1 for r in rows if r[4] == 0))


async def suggestions(store: QueryStore, period: Period) -> list[FaqSuggestion]:
    """Questions and staff answers that staff marked "add to FAQ", oldest first."""
    return await store.faq_suggestions(period)
