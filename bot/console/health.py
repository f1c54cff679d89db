"""FAQ health: `check-faq`'s result, near-duplicate phrasings, entries whose report is
more than two years old, and the log of FAQ changes made through the console."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.console.base import NAV, console_of, render
from bot.core import check
from bot.core.engine import is_stale
from bot.core.kb import FaqError, load_kb


def _checks(faq_dir: object) -> dict[str, object]:
    try:
        kb = load_kb(faq_dir)  # type: ignore[arg-type]
    except FaqError as exc:
        return {"problems": exc.problems, "summary": "", "overlaps": []}
    return {"problems": (), "summary": check.summary(kb), "overlaps": check.overlaps(kb)}


async def page(request: web.Request) -> web.Response:
    c = console_of(request)
    request[NAV] = "health"
    loaded = c.holder.current
    # check-faq reads the files as they are now (an edit the bot refused shows here).
    from bot.core.reload import fingerprint

    fp = fingerprint(c.holder.faq_dir)
    result = c.cache.get(("health", fp))
    if result is None:
        result = await asyncio.to_thread(_checks, c.holder.faq_dir)
        c.cache.clear()
        c.cache[("health", fp)] = result
    engine = loaded.engine
    stale = [(e, v) for e in engine.kb.entries for v in e.variants
             if is_stale(v.as_of, engine.today)]
    return render(request, "health.html", result=result, stale=stale,
                  changes=await c.store.faq_changes(), version=loaded.version,
                  entries=len(engine.kb.entries))
