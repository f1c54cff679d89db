"""Questions: the masked log searched by text, period, outcome, entry, region and
language, newest first, a page at a time; and the CSV of the same filter, written by
`review export`'s own code (bot.staff.export), so the two files are alike."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

from aiohttp import web

from bot.console.base import NAV, console_of, render
from bot.console.common import chosen_period
from bot.staff import export
from bot.store.console import STATUSES, QuestionFilter
from bot.store.querystore import QueryStore
from bot.store.records import Period

PAGE = 50
MAX_PAGE = 10_000


def question_filter(query: Mapping[str, str]) -> QuestionFilter:
    chosen = chosen_period(query)
    status = query.get("status", "")
    return QuestionFilter(
        period=chosen.period, text=query.get("q", "")[:200],
        status=status if status in STATUSES else "",
        entry_id=query.get("entry", "")[:100], region=query.get("region", "")[:50],
        lang=query.get("lang", "")[:10])


async def page(request: web.Request) -> web.Response:
    c = console_of(request)
    request[NAV] = "questions"
    chosen = chosen_period(request.query)
    flt = question_filter(request.query)
    raw = request.query.get("page", "1")
    n = min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) > 0 else 1
    rows = await c.store.search_questions(flt, (n - 1) * PAGE, PAGE + 1)
    params = {k: v for k, v in request.query.items() if k != "page" and v}
    return render(request, "questions.html", chosen=chosen, flt=flt, rows=rows[:PAGE], page=n,
                  more=len(rows) > PAGE, params=params, statuses=STATUSES,
                  regions=await c.cached(("regions",), lambda: c.store.distinct_values("region")),
                  langs=await c.cached(("langs",), lambda: c.store.distinct_values("lang")),
                  entries=sorted(c.holder.current.engine.kb.by_id))


class _Filtered:
    """Looks like a QueryStore to `export.export`: its rows are the filter's, and the CSV
    written so far goes out to the browser between chunks (a million rows never sit in
    memory)."""

    def __init__(self, store: QueryStore, flt: QuestionFilter, buf: io.StringIO,
                 response: web.StreamResponse) -> None:
        self.store, self.flt, self.buf, self.response = store, flt, buf, response

    async def drain(self) -> None:
        data = self.buf.getvalue()
        if data:
            await self.response.write(data.encode("utf-8"))
            self.buf.seek(0)
            self.buf.truncate()

    async def export_rows(self, period: Period,
                          chunk: int = 5000) -> AsyncIterator[list[tuple[Any, ...]]]:
        async for rows in self.store.export_filtered(self.flt, chunk):
            await self.drain()
            yield rows
        await self.drain()


async def csv(request: web.Request) -> web.StreamResponse:
    c = console_of(request)
    flt = question_filter(request.query)
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="questions.csv"'})
    await response.prepare(request)
    buf = io.StringIO(newline="")
    source = _Filtered(c.store, flt, buf, response)
    await export.export(cast(QueryStore, source), flt.period, "csv", buf)
    await source.drain()
    await response.write_eof()
    return response
