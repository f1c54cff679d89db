"""Feedback (answers voted 👎, by entry, with what was asked and the answer it got) and
Entry (one FAQ entry: phrasings, answers, region, source, as-of, how it is used)."""

from __future__ import annotations

from aiohttp import web

from bot.console.base import NAV, console_of, lang_of, render
from bot.console.common import answer_of, chosen_period
from bot.core.engine import is_stale
from bot.staff import reports

FEEDBACK_LIMIT = 30


async def feedback(request: web.Request) -> web.Response:
    c = console_of(request)
    request[NAV] = "feedback"
    lang = lang_of(request)
    chosen = chosen_period(request.query)
    kb = c.holder.current.engine.kb
    items = await reports.feedback(c.store, chosen.period, limit=FEEDBACK_LIMIT, kb=kb,
                                   lang=lang)
    answers = {i.entry_id: answer_of(kb.entry(i.entry_id), lang) for i in items
               if i.entry_id in kb.by_id}
    return render(request, "feedback.html", chosen=chosen, items=items, answers=answers)


async def entry(request: web.Request) -> web.Response:
    c = console_of(request)
    request[NAV] = "entry"
    engine = c.holder.current.engine
    kb = engine.kb
    entry_id = request.match_info["entry_id"]
    if entry_id not in kb.by_id:  # unknown ids, and anything like ../ or a path
        raise web.HTTPNotFound()
    e = kb.entry(entry_id)
    variants = [(v, kb.region_name(v.region, lang_of(request)), kb.sources.get(v.source),
                 is_stale(v.as_of, engine.today)) for v in e.variants]
    activity = await c.store.entry_activity(entry_id)
    recent = await c.store.recent_for_entry(entry_id)
    topic = kb.topic(e.topic).name(lang_of(request))
    return render(request, "entry.html", e=e, variants=variants, activity=activity,
                  recent=recent, topic=topic)
