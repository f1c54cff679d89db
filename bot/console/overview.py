"""Overview: questions per day by outcome, the share answered directly, votes per day, top
entries, top unanswered groups, regions, languages and busiest hours, for a period. Every
chart is server-side SVG with its numbers beside it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from aiohttp import web
from markupsafe import Markup

from bot.console import svg
from bot.console.base import NAV, Console, console_of, lang_of, render
from bot.console.common import Chosen, chosen_period, day_labels
from bot.console.unanswered import report_of
from bot.staff import clusters, reports

TOP = 10
TOP_GROUPS = 5


@dataclass(frozen=True)
class Figures:
    stats: reports.StatsReport
    top: reports.TopReport
    unanswered: clusters.UnansweredReport
    votes: list[tuple[str, int, int]]
    hours: dict[int, int]


async def figures(c: Console, chosen: Chosen, lang: str) -> Figures:
    """Everything the overview shows."""
    store, period, kb = c.store, chosen.period, c.holder.current.engine.kb
    stats = await reports.stats(store, period)
    top = await reports.top(store, period, limit=TOP, kb=kb, lang=lang)
    un = await report_of(c, chosen)
    un = dataclasses.replace(un, groups=un.groups[:TOP_GROUPS])
    votes = await store.votes_per_day(period)
    hours = await c.cached(("hours", period.bounds()), lambda: store.hourly_counts(period))
    return Figures(stats, top, un, votes, hours)


async def page(request: web.Request) -> web.Response:
    c = console_of(request)
    request[NAV] = "overview"
    lang = lang_of(request)
    chosen = chosen_period(request.query)
    key = ("overview", chosen.period.bounds(), lang, c.holder.current.version)
    f: Figures = await c.cached(key, lambda: figures(c, chosen, lang))
    t = c.locales.t
    s = f.stats
    days = day_labels(chosen.period)
    per_day = {d.day: d for d in s.by_day}
    outcome = [(t(lang, f"console.status_{st}"), svg.COLOURS[st],
                [getattr(per_day[d], st) if d in per_day else 0 for d in days])
               for st in ("answer", "clarify", "fallback")]
    votes = {d: (g, b) for d, g, b in f.votes}
    vote_series = [(t(lang, "console.helpful"), svg.COLOURS["helpful"],
                    [votes.get(d, (0, 0))[0] for d in days]),
                   (t(lang, "console.unhelpful"), svg.COLOURS["unhelpful"],
                    [votes.get(d, (0, 0))[1] for d in days])]
    hours = [f.hours.get(h, 0) for h in range(24)]
    regions = [(c.holder.current.engine.kb.region_name(r, lang) if r != "-" else
                t(lang, "console.none"), n) for r, n in s.by_region.items()]
    langs = list(s.by_lang.items())
    answered = s.by_status.get("answer", 0)
    charts = {
        "per_day": Markup(svg.stacked_bars(days, outcome, t(lang, "console.chart_per_day"))),
        "votes": Markup(svg.stacked_bars(days, vote_series, t(lang, "console.chart_votes"),
                                         height=120)),
        "hours": Markup(svg.bars([f"{h:02d}" for h in range(24)], hours,
                                 t(lang, "console.chart_hours"))),
        "regions": Markup(svg.hbars(regions, t(lang, "console.chart_regions"))),
        "langs": Markup(svg.hbars(langs, t(lang, "console.chart_langs"))),
    }
    return render(
        request, "overview.html", chosen=chosen, s=s, f=f, charts=charts, regions=regions,
        langs=langs, hours=hours, answered=answered,
        answered_pct=round(100 * answered / s.total, 1) if s.total else 0.0,
        busiest=sorted(range(24), key=lambda h: -hours[h])[:3] if s.total else [],
        vote_days=[(d, g, b) for d, g, b in f.votes], outcome_days=list(reversed(s.by_day)),
        minutes=_minutes)


def _minutes(seconds: float | None) -> str:
    """A first-response time for a card: minutes, or hours and minutes past an hour."""
    if seconds is None:
        return "–"
    m = round(seconds / 60)
    return f"{m // 60}h {m % 60:02d}m" if m >= 60 else f"{m} min"
