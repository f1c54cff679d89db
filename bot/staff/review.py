"""Staff reports on the query log: what went unanswered, what was voted unhelpful, what is
asked most, counts per day/status/topic/region/language, and the raw export.

Each report is an async function taking the store and a `Period` and returning plain
dataclasses (so /stats and /unanswered in Telegram can reuse them); `render_*` turn them
into terminal tables and `as_json` into JSON. SQL lives in bot.store.querystore.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from rapidfuzz import fuzz, process

from bot.core.kb import KnowledgeBase
from bot.store.privacy import MASKS
from bot.store.querystore import QueryStore
from bot.store.records import Period
from bot.store.reports import EXPORT_COLUMNS, UnansweredText

DEFAULT_DAYS = 30
# Two unanswered questions are one group when their cores (question words removed, see
# below) are at least this similar (rapidfuzz token_sort_ratio, 0-100).
DEFAULT_SIMILARITY = 70.0
# Distinct unanswered texts considered for grouping, most frequent first. Leader clustering
# is O(texts x groups); this bounds a report to well under a second at any log size.
MAX_TEXTS = 3000
# Words that make a question a question but say nothing about its subject; dropped before
# comparing, so "生育津贴怎么领" and "生育津贴咋领" group together, "医保卡丢了怎么办" and
# "社保卡密码忘了怎么办" do not. Longest first (the regex takes the first that fits).
QUESTION_WORDS = (
    "怎么办", "怎么样", "怎么", "怎样", "如何", "咋办", "咋", "能不能", "可不可以", "可以吗",
    "是不是", "有没有", "什么", "啥", "哪里", "哪儿", "在哪", "多少", "请问", "一下", "我想",
    "我要", "我的", "我们", "我", "你们", "吗", "呢", "吧", "啊", "么", "了", "的",
    "how", "what", "where", "when", "which", "who", "why", "can", "could", "do", "does", "is",
    "are", "i", "my", "me", "the", "a", "an", "to", "please",
)
_CJK_WORDS = sorted((w for w in QUESTION_WORDS if not w.isascii()), key=len, reverse=True)
_CJK_RE = re.compile("|".join(map(re.escape, _CJK_WORDS)))
_LATIN_WORDS = frozenset(w for w in QUESTION_WORDS if w.isascii())
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Phrasings proposed to staff: plain questions, not pasted documents.
MAX_PHRASING_CHARS = 60


# --------------------------------------------------------------------------- periods


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


# --------------------------------------------------------------------------- unanswered


@dataclass(frozen=True)
class Question:
    text: str  # an example of the stored (masked) text
    count: int
    lang: str
    normalized: str


@dataclass(frozen=True)
class Group:
    """Similar unanswered questions: one line of the staff's to-do list."""

    key: str  # stable id (hash of the group's leading question), for `review suggest`
    count: int
    first_seen: str
    last_seen: str
    questions: tuple[Question, ...]  # distinct texts, most frequent first
    offered: tuple[str, ...]  # entries the engine offered most often (clarify), if any

    @property
    def examples(self) -> tuple[str, ...]:
        return tuple(q.text for q in self.questions)


@dataclass(frozen=True)
class UnansweredReport:
    period: Period
    groups: tuple[Group, ...]
    total: int  # unanswered questions in the period
    distinct: int  # distinct normalized texts among them
    considered: int  # distinct texts that were grouped (the most frequent MAX_TEXTS)


def core(normalized: str) -> str:
    """What a question is about: its normalized text without question words."""
    text = _CJK_RE.sub(" ", normalized)
    words = [w for w in text.split() if w not in _LATIN_WORDS]
    return " ".join(words) or normalized


def group_key(normalized: str) -> str:
    return hashlib.sha1(normalized.encode("utf-8")).hexdigest()[:6]


def cluster(texts: Sequence[UnansweredText], *, similarity: float = DEFAULT_SIMILARITY,
            normalizer: Callable[[str], str] | None = None) -> list[Group]:
    """Leader clustering, most frequent first: each text joins the most similar group
    leader at or above `similarity`, or leads a new group. Pure."""
    # Re-normalizing with today's engine merges texts that newer synonyms make equal.
    merged: dict[str, list[UnansweredText]] = {}
    for t in texts:
        key = normalizer(t.example) if normalizer else t.normalized
        merged.setdefault(key or t.normalized, []).append(t)
    items = sorted(merged.items(), key=lambda kv: -sum(t.count for t in kv[1]))
    leaders: list[str] = []
    members: list[list[tuple[str, list[UnansweredText]]]] = []
    for norm, ts in items:
        c = core(norm)
        hit = process.extractOne(c, leaders, scorer=fuzz.token_sort_ratio,
                                 score_cutoff=similarity) if leaders else None
        if hit is None:
            leaders.append(c)
            members.append([(norm, ts)])
        else:
            members[hit[2]].append((norm, ts))
    groups = []
    for group in members:
        all_texts = [t for _, ts in group for t in ts]
        offered: Counter[str] = Counter()
        for t in all_texts:
            for eid in t.offered[:1]:
                offered[eid] += t.count
        questions = tuple(
            Question(max(ts, key=lambda t: t.count).example, sum(t.count for t in ts),
                     max(ts, key=lambda t: t.count).lang, norm)
            for norm, ts in group
        )
        questions = tuple(sorted(questions, key=lambda q: -q.count))
        groups.append(Group(
            key=group_key(group[0][0]),
            count=sum(t.count for t in all_texts),
            first_seen=min(t.first_seen for t in all_texts),
            last_seen=max(t.last_seen for t in all_texts),
            questions=questions,
            offered=tuple(e for e, _ in offered.most_common(3)),
        ))
    groups.sort(key=lambda g: (-g.count, g.key))
    return groups


async def unanswered(store: QueryStore, period: Period, *, limit: int = 20,
                     similarity: float = DEFAULT_SIMILARITY, max_texts: int = MAX_TEXTS,
                     normalizer: Callable[[str], str] | None = None) -> UnansweredReport:
    """Fallback and unresolved clarify questions, grouped by similarity, most frequent first."""
    texts, distinct, total = await store.unanswered_texts(period, max_texts)
    groups = cluster(texts, similarity=similarity, normalizer=normalizer)
    return UnansweredReport(period, tuple(groups[:limit] if limit else groups), total, distinct,
                            len(texts))


def find_group(report: UnansweredReport, ref: str) -> Group | None:
    """A group by its key (e.g. 3fa9c2) or its rank in the report (1, 2, …)."""
    ref = ref.strip().lstrip("#")
    if ref.isdigit() and len(ref) <= 4:
        n = int(ref)
        return report.groups[n - 1] if 0 < n <= len(report.groups) else None
    return next((g for g in report.groups if g.key == ref.lower()), None)


def phrasings(group: Group, *, limit: int = 10,
              existing: Iterable[str] = (),
              normalizer: Callable[[str], str] | None = None) -> dict[str, list[str]]:
    """The group's questions fit to become phrasings, by language (zh / en): no masked
    numbers, not too long, not already a phrasing (compared normalized)."""
    norm = normalizer or (lambda s: " ".join(s.lower().split()))
    seen = {norm(e) for e in existing}
    out: dict[str, list[str]] = {}
    n = 0
    for q in group.questions:
        text = " ".join(q.text.split())
        if (not text or len(text) > MAX_PHRASING_CHARS or any(m in text for m in MASKS)
                or text.endswith("…")):
            continue
        key = norm(text)
        if not key or key in seen:
            continue
        seen.add(key)
        lang = "zh" if _CJK_CHAR.search(text) else "en"
        out.setdefault(lang, []).append(text)
        n += 1
        if n >= limit:
            break
    return out


# --------------------------------------------------------------------------- feedback


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
                       await store.event_totals(period))


# --------------------------------------------------------------------------- export


# A resident can type "=HYPERLINK(…)": Excel would run it. A leading ' shows it as text.
_FORMULA_START = frozenset("=+-@\t\r")


async def export(store: QueryStore, period: Period, fmt: str, out: IO[str]) -> int:
    """Write the (masked) log of the period as csv or jsonl to `out` (UTF-8 text, opened with
    newline=""); return the row count.

    CSV is for Excel: it starts with a BOM (without one Excel reads UTF-8 Chinese as
    mojibake), rows end in CRLF, and cells that Excel would run as formulas are defused.
    """
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown export format {fmt!r}")
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        out.write("\ufeff")
        writer.writerow(EXPORT_COLUMNS)
    i_sugg = EXPORT_COLUMNS.index("suggestions")
    # Columns a resident (or a random id) can make start with "=", "+", "-" or "@".
    free_text = [EXPORT_COLUMNS.index(c) for c in ("query_id", "text", "normalized")]
    n = 0
    async for rows in store.export_rows(period):
        for row in rows:
            values = list(row)
            sugg = values[i_sugg]
            values[i_sugg] = [] if sugg in (None, "[]") else json.loads(sugg)
            if writer is not None:
                values[i_sugg] = " ".join(values[i_sugg])
                for i in free_text:
                    v = values[i]
                    if v and v[0] in _FORMULA_START:
                        values[i] = "'" + v
                writer.writerow(values)
            else:
                out.write(json.dumps(dict(zip(EXPORT_COLUMNS, values, strict=True)),
                                     ensure_ascii=False) + "\n")
        n += len(rows)
    return n


# --------------------------------------------------------------------------- formatting


def width(text: str) -> int:
    """Columns `text` takes on a terminal: CJK and full-width characters take two."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def clip(text: str, cols: int) -> str:
    """`text` on one line, cut to at most `cols` columns (with …)."""
    text = " ".join(str(text).split())
    if width(text) <= cols:
        return text
    out, used = [], 0
    for c in text:
        w = width(c)
        if used + w > cols - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]],
          numeric: Iterable[int] = (), max_cols: int = 60) -> str:
    """A plain-text table, columns padded by display width; numbers right-aligned."""
    right = set(numeric)
    cells = [[clip(_fmt(v), max_cols) for v in r] for r in rows]
    heads = list(headers)
    widths = [max([width(h)] + [width(r[i]) for r in cells]) for i, h in enumerate(heads)]

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, v in enumerate(values):
            pad = " " * (widths[i] - width(v))
            parts.append(pad + v if i in right else v + pad)
        return "  ".join(parts).rstrip()

    return "\n".join([line(heads), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _day(ts: str) -> str:
    return ts[:16].replace("T", " ")


def _span(p: Period) -> str:
    a = p.since.strftime("%Y-%m-%d %H:%M") if p.since else "…"
    b = p.until.strftime("%Y-%m-%d %H:%M") if p.until else "now"
    return f"{a} – {b} UTC"


def render_unanswered(r: UnansweredReport, examples: int = 3) -> str:
    head = (f"Unanswered questions, {_span(r.period)}: {r.total:,} questions, "
            f"{r.distinct:,} distinct texts, {len(r.groups)} groups shown")
    if r.considered < r.distinct:
        head += f" (grouped the {r.considered:,} most frequent texts)"
    rows = [(i, g.key, g.count, _day(g.first_seen), _day(g.last_seen),
             " | ".join(g.examples[:examples]), ", ".join(g.offered[:2]))
            for i, g in enumerate(r.groups, 1)]
    return head + "\n\n" + table(
        ("#", "group", "count", "first seen", "last seen", "examples", "engine offered"),
        rows, numeric=(0, 2), max_cols=70)


def render_feedback(items: Sequence[FeedbackItem], period: Period) -> str:
    head = f"Answers voted unhelpful, {_span(period)}"
    if not items:
        return head + ": none."
    rows = [(f.entry_id, f.unhelpful, f.helpful, f"{100 * f.unhelpful_share:.0f}%",
             _day(f.last_vote), f.question) for f in items]
    out = [head, "", table(("entry", "👎", "👍", "👎 share", "last vote", "FAQ question"),
                           rows, numeric=(1, 2, 3))]
    for f in items:
        out.append("")
        out.append(f"{f.entry_id}: questions before a 👎")
        out.extend(f"  {n:>5,}×  {clip(text, 90)}" for text, n in f.questions)
    return "\n".join(out)


def render_top(r: TopReport) -> str:
    entries = table(("entry", "topic", "answered", "picked", "total", "FAQ question"),
                    [(e.entry_id, e.topic, e.answered, e.picked, e.total, e.question)
                     for e in r.entries], numeric=(2, 3, 4))
    total = sum(n for _, _, n in r.topics) or 1
    topics = table(("topic", "name", "asked", "share"),
                   [(t, name, n, f"{100 * n / total:.1f}%") for t, name, n in r.topics],
                   numeric=(2, 3))
    return (f"Most asked entries, {_span(r.period)}\n\n{entries}\n\n"
            f"Topics\n\n{topics}")


def render_stats(r: StatsReport) -> str:
    def share(c: dict[str, int], title: str) -> str:
        return table((title, "count", "share"),
                     [(k, n, f"{100 * n / r.total:.1f}%" if r.total else "-")
                      for k, n in c.items()], numeric=(1, 2))

    e = r.events
    head = (f"Questions, {_span(r.period)}: {r.total:,}; average answer time "
            f"{r.avg_latency_ms:.1f} ms\nVotes: 👍 {e.get('helpful', 0):,}  "
            f"👎 {e.get('unhelpful', 0):,}; suggestions picked: {e.get('selections', 0):,}; "
            f"refused staff commands: {e.get('denied', 0):,}")
    days = table(("day (UTC)", "total", "answer", "clarify", "fallback"),
                 [(d.day, d.total, d.answer, d.clarify, d.fallback) for d in r.by_day],
                 numeric=(1, 2, 3, 4))
    return "\n\n".join([head, days, share(r.by_status, "status"), share(r.by_topic, "topic"),
                        share(r.by_region, "region"), share(r.by_lang, "language")])


def as_json(value: Any) -> str:
    """Any report as JSON (periods as ISO times; tuples as lists)."""

    def conv(v: Any) -> Any:
        if isinstance(v, Period):
            return period_json(v)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            out = {f.name: conv(getattr(v, f.name)) for f in dataclasses.fields(v)}
            for name in ("examples", "unhelpful_share", "total"):
                if hasattr(type(v), name) and isinstance(getattr(type(v), name), property):
                    out[name] = conv(getattr(v, name))
            return out
        if isinstance(v, dict):
            return {str(k): conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return v

    return json.dumps(conv(value), ensure_ascii=False, indent=2)
