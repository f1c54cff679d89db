"""Overview: questions per day by outcome, the share answered directly, votes per day, top
entries, top unanswered groups, regions, languages and busiest hours, for a period. Every
chart is server-side SVG with its numbers beside it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web
from markupsafe import Markup

from bot.console import svg
from bot.console.base import NAV, console_of, lang_of, render
from bot.console.common import chosen_period, day_labels
from bot.staff import clusters, reports
from bot.store.querystore import QueryStore
from bot.store.records import Period

TOP = 10
TOP_GROUPS = 5


@dataclass(frozen=True)
class Figures:
    stats: reports.StatsReport
    top: reports.TopReport
    unanswered: clusters.UnansweredReport
    votes: list[tuple[str, int, int]]
    hours: dict[int, int]


async def figures(store: QueryStore, period: Period, kb: object, lang: str,
                  normalizer: object) -> Figures:
    """Everything the overview shows (also what `bench --console` times)."""
    stats, top, un, votes, hours = await asyncio.gather(
        reports.stats(store, period),
        reports.top(store, period, limit=TOP, kb=kb, lang=lang),  # type: ignore[arg-type]
        clusters.unanswered(store, period, limit=TOP_GROUPS,
                            normalizer=normalizer),  # type: ignore[arg-type]
        store.votes_per_day(period),
        store.hourly_counts(period),
    )
    return Figures(stats, top, un, votes, hours)


async def page(request: web.Request) -> web.Response:
    c = console_of(request)
    request[NAV] = "overview"
    lang = lang_of(request)
    chosen = chosen_period(request.query)
    engine = c.holder.current.engine
    f = await figures(c.store, chosen.period, engine.kb, lang, engine.normalizer)
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
        vote_days=[(d, g, b) for d, g, b in f.votes], outcome_days=list(reversed(s.by_day)))
