"""The counting reports: answers voted unhelpful (`feedback`), the most asked entries and
topics (`top`), and usage per day, status, topic, region and language (`stats`). The SQL
behind them is in bot.store.reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.core.kb import KnowledgeBase
from bot.staff.handoff import HandoffStats, handoff_stats
from bot.store.querystore import QueryStore
from bot.store.records import Period


@dataclass(frozen=True)
class FeedbackItem:
    entry_id: str
    question: str | None  # the entry's canonical question, when the FAQ has it
    unhelpful: int
    helpful: int
    last_vote: str
    questions: tuple[tuple[str, int], ...]  # (what was asked, how often) before a 👎

    @property
    def unhelpful_share(self) -> float:
        total = self.unhelpful + self.helpful
        return self.unhelpful / total if total else 0.0


async def feedback(store: QueryStore, period: Period, *, limit: int = 20, questions: int = 5,
                   kb: KnowledgeBase | None = None, lang: str = "zh") -> list[FeedbackItem]:
    """Entries with the most unhelpful votes, and the questions that led to them."""
    out = []
    for entry_id, bad, good, last in await store.feedback_by_entry(period, limit):
        asked = await store.unhelpful_questions(entry_id, period, questions)
        out.append(FeedbackItem(entry_id, _question(kb, entry_id, lang), bad, good, last,
                                tuple(asked)))
    return out


# --------------------------------------------------------------------------- top


@dataclass(frozen=True)
class TopEntry:
    entry_id: str
    topic: str | None
    question: str | None
    answered: int  # answered outright
    picked: int  # chosen from suggestions

    @property
    def total(self) -> int:
        return self.answered + self.picked


@dataclass(frozen=True)
class TopReport:
    period: Period
    entries: tuple[TopEntry, ...]
    topics: tuple[tuple[str, str | None, int], ...]  # (topic id, name, count)


async def top(store: QueryStore, period: Period, *, limit: int = 20,
              kb: KnowledgeBase | None = None, lang: str = "zh") -> TopReport:
    """The most asked entries (answered or picked) and topics in the period."""
    counts = await store.entry_counts(period)
    topic_of = {e.id: e.topic for e in kb.entries} if kb else {}
    unknown = [eid for eid, _, _ in counts if eid not in topic_of]
    topic_of.update(await store.entry_topics(unknown))
    entries = sorted(
        (TopEntry(eid, topic_of.get(eid), _question(kb, eid, lang), a, p)
         for eid, a, p in counts),
        key=lambda e: (-e.total, e.entry_id),
    )
    by_topic: Counter[str] = Counter()
    for e in entries:
        by_topic[e.topic or "-"] += e.total
    names = {t.id: t.name(lang) for t in kb.topics} if kb else {}
    topics = tuple((t, names.get(t), n) for t, n in
                   sorted(by_topic.items(), key=lambda kv: (-kv[1], kv[0])))
    return TopReport(period, tuple(entries[:limit] if limit else entries), topics)


def _question(kb: KnowledgeBase | None, entry_id: str, lang: str) -> str | None:
    if kb is None or entry_id not in kb.by_id:
        return None
    return kb.entry(entry_id).question(lang)


# --------------------------------------------------------------------------- stats


@dataclass(frozen=True)
class DayCount:
    day: str  # UTC day, YYYY-MM-DD
    total: int
    answer: int
    clarify: int
    fallback: int


@dataclass(frozen=True)
class StatsReport:
    period: Period
    total: int
    avg_latency_ms: float
    by_day: tuple[DayCount, ...]
    by_status: dict[str, int]
    by_topic: dict[str, int]
    by_region: dict[str, int]
    by_lang: dict[str, int]
    events: dict[str, int] = field(default_factory=dict)  # votes, picks, refused commands
    handoff: HandoffStats | None = None  # tickets handed to staff (bot.staff.handoff)


async def stats(store: QueryStore, period: Period) -> StatsReport:
    """Counts per UTC day, status, topic, region and language (one pass over the log)."""
    cube = await store.stats_cube(period)
    days: dict[str, Counter[str]] = {}
    status: Counter[str] = Counter()
    topic: Counter[str] = Counter()
    region: Counter[str] = Counter()
    lang: Counter[str] = Counter()
    latency = 0.0
    for day, st, tp, rg, lg, n, ms in cube:
        days.setdefault(day, Counter())[st] += n
        status[st] += n
        topic[tp or "-"] += n
        region[rg or "-"] += n
        lang[lg] += n
        latency += ms
    total = sum(status.values())
    by_day = tuple(DayCount(d, sum(c.values()), c["answer"], c["clarify"], c["fallback"])
                   for d, c in sorted(days.items()))

    def ordered(c: Counter[str]) -> dict[str, int]:
        return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))

    return StatsReport(period, total, latency / total if total else 0.0, by_day, ordered(status),
                       ordered(topic), ordered(region), ordered(lang),
                       await store.event_totals(period), await handoff_stats(store, period))
