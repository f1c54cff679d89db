"""Reports for people and programs: terminal tables padded by display width (CJK takes
two columns), one `render_*` per report (its words from locales/, through `tr`), and
`as_json` for any report."""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from bot.staff.clusters import UnansweredReport
from bot.staff.escape import json_safe, visible
from bot.staff.handoff import HandoffStats
from bot.staff.periods import period_json
from bot.staff.reports import FeedbackItem, StatsReport, TopReport
from bot.store.records import Period


class Translate(Protocol):
    """A staff report string by key (under `staff.report.` in locales/), values filled in:
    every heading, title and footer of the terminal reports comes from locales/."""

    def __call__(self, key: str, /, **values: object) -> str: ...


def width(text: str) -> int:
    """Columns `text` takes on a terminal: CJK and full-width characters take two."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def clip(text: str, cols: int) -> str:
    """`text` on one line, control characters visibly escaped, cut to at most `cols`
    columns (with …)."""
    text = " ".join(visible(str(text)).split())
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


def _span(p: Period, tr: Translate) -> str:
    a = p.since.strftime("%Y-%m-%d %H:%M") if p.since else tr("open_start")
    b = p.until.strftime("%Y-%m-%d %H:%M") if p.until else tr("now")
    return tr("span", since=a, until=b)


def _cols(tr: Translate, *keys: str) -> tuple[str, ...]:
    return tuple(tr(f"col.{k}") for k in keys)


def render_unanswered(r: UnansweredReport, examples: int = 3, *, tr: Translate) -> str:
    head = tr("unanswered_title", span=_span(r.period, tr), total=f"{r.total:,}",
              distinct=f"{r.distinct:,}", groups=len(r.groups))
    if r.considered < r.distinct:
        head += tr("unanswered_considered", considered=f"{r.considered:,}")
    rows = [(i, g.key, g.count, _day(g.first_seen), _day(g.last_seen),
             " | ".join(g.examples[:examples]), ", ".join(g.offered[:2]))
            for i, g in enumerate(r.groups, 1)]
    return head + "\n\n" + table(
        _cols(tr, "rank", "group", "count", "first_seen", "last_seen", "examples", "offered"),
        rows, numeric=(0, 2), max_cols=70)


def render_feedback(items: Sequence[FeedbackItem], period: Period, *, tr: Translate) -> str:
    if not items:
        return tr("feedback_none", span=_span(period, tr))
    rows = [(f.entry_id, f.unhelpful, f.helpful, f"{100 * f.unhelpful_share:.0f}%",
             _day(f.last_vote), f.question) for f in items]
    out = [tr("feedback_title", span=_span(period, tr)), "",
           table(_cols(tr, "entry", "unhelpful", "helpful", "unhelpful_share", "last_vote",
                       "faq_question"), rows, numeric=(1, 2, 3))]
    for f in items:
        out.append("")
        out.append(tr("feedback_questions", entry=f.entry_id))
        out.extend(f"  {n:>5,}×  {clip(text, 90)}" for text, n in f.questions)
    return "\n".join(out)


def render_top(r: TopReport, *, tr: Translate) -> str:
    entries = table(_cols(tr, "entry", "topic", "answered", "picked", "total", "faq_question"),
                    [(e.entry_id, e.topic, e.answered, e.picked, e.total, e.question)
                     for e in r.entries], numeric=(2, 3, 4))
    total = sum(n for _, _, n in r.topics) or 1
    topics = table(_cols(tr, "topic", "name", "asked", "share"),
                   [(t, name, n, f"{100 * n / total:.1f}%") for t, name, n in r.topics],
                   numeric=(2, 3))
    return (f"{tr('top_title', span=_span(r.period, tr))}\n\n{entries}\n\n"
            f"{tr('topics_title')}\n\n{topics}")


def render_stats(r: StatsReport, *, tr: Translate) -> str:
    def share(c: dict[str, int], title: str) -> str:
        return table(_cols(tr, title, "count", "share"),
                     [(k, n, f"{100 * n / r.total:.1f}%" if r.total else "-")
                      for k, n in c.items()], numeric=(1, 2))

    e = r.events
    head = "\n".join([
        tr("stats_title", span=_span(r.period, tr), total=f"{r.total:,}",
           latency=f"{r.avg_latency_ms:.1f}"),
        tr("stats_events", **{k: f"{e.get(k, 0):,}" for k in
                              ("helpful", "unhelpful", "selections", "denied")}),
    ])
    days = table(_cols(tr, "day", "total", "answer", "clarify", "fallback"),
                 [(d.day, d.total, d.answer, d.clarify, d.fallback) for d in r.by_day],
                 numeric=(1, 2, 3, 4))
    parts = [head, days, share(r.by_status, "status"), share(r.by_topic, "topic"),
             share(r.by_region, "region"), share(r.by_lang, "language")]
    if r.handoff is not None and r.handoff.tickets:
        parts.append(render_handoff(r.handoff))
    return "\n\n".join(parts)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    return f"{minutes // 60}h {minutes % 60:02d}m"


def render_handoff(h: HandoffStats) -> str:
    """Tickets handed to staff: per day, first response p50/p90, share resolved, ratings."""
    closers = ", ".join(f"{k} {n}" for k, n in h.by_closer.items()) or "-"
    head = (f"Handoff tickets: {h.tickets:,} ({h.open} open); answered by staff {h.answered:,}; "
            f"resolved {h.resolved:,} ({100 * h.resolved_share:.1f}%)\n"
            f"First response: p50 {_duration(h.first_response_p50_s)}, "
            f"p90 {_duration(h.first_response_p90_s)}; closed by: {closers}; "
            f"ratings 👍 {h.helpful} 👎 {h.unhelpful}")
    return "\n\n".join([head, table(("day (UTC)", "tickets"), h.by_day, numeric=(1,))])


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

    return json_safe(json.dumps(conv(value), ensure_ascii=False, indent=2))
