"""`python -m bot bench --console`: the staff console's server time per page and the
overview's size over a synthetic log (bot.bench.store's generator, 1M questions by
default). Figures, not a timed test.

The console is served over real HTTP on 127.0.0.1; a middleware measures each request
inside the server (from the request to the response body, rendering included). Each page
is fetched once cold (nothing cached) and then RUNS times; p50 and p95 of those are printed.
The console keeps the unanswered clustering and the per-hour counts of a period for two
minutes (bot.console.base.REPORT_TTL), so the cold figure is what the first staff member
opening that period waits, p95 what everyone else does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.bench import store as store_bench
from bot.console.app import create_app, open_console
from bot.console.base import Handler
from bot.settings import Settings
from bot.staff import signin

GOAL_P95_MS = 300.0
GOAL_OVERVIEW_KB = 200.0
RUNS = 20
STAFF = 1


def main(args: Any = None) -> int:
    rows = int(getattr(args, "rows", 0) or 1_000_000)
    if getattr(args, "quick", False):
        rows = min(rows, 100_000)
    with tempfile.TemporaryDirectory(prefix="console-bench-") as tmp:
        db = Path(tmp) / "synthetic.db"
        print(f"staff console benchmark (SQLite {sqlite3.sqlite_version}, "
              f"{os.cpu_count()} CPUs)")
        t0 = time.perf_counter()
        counts = store_bench._generate(db, rows)
        print(f"synthetic log: {counts['queries']:,} questions over {store_bench.DAYS} days, "
              f"{counts['feedback']:,} votes, {counts['selections']:,} picks "
              f"(generated in {time.perf_counter() - t0:.1f} s)")
        base = Settings.from_env()
        settings = Settings.from_env({
            "BOT_DB_PATH": str(db), "BOT_FAQ_DIR": str(base.faq_dir),
            "BOT_LOCALES_DIR": str(base.locales_dir), "BOT_STAFF_IDS": str(STAFF),
            "BOT_CONSOLE_SECRET": "bench-console-secret-0123456789"})
        results = asyncio.run(_measure(settings))
    print()
    print(f"server time per page: the first (cold) request, then p50/p95 of {RUNS} more "
          f"(goal p95 <= {GOAL_P95_MS:.0f} ms)")
    for label, all_times, size in results:
        cold, times = all_times[0], all_times[1:]
        p50 = statistics.median(times)
        p95 = sorted(times)[max(int(len(times) * 0.95) - 1, 0)]
        mark = "ok" if p95 <= GOAL_P95_MS else "OVER GOAL"
        print(f"   {label:<34} cold {cold:7.1f} ms  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
              f"{size / 1024:6.1f} KB  {mark}")
    sizes = [size for label, _, size in results if label.startswith("overview")]
    biggest = max(sizes) / 1024
    print()
    print(f"overview HTML+SVG: largest {biggest:.1f} KB (goal <= {GOAL_OVERVIEW_KB:.0f} KB: "
          f"{'ok' if biggest <= GOAL_OVERVIEW_KB else 'OVER GOAL'})")
    return 0


async def _measure(settings: Settings) -> list[tuple[str, list[float], int]]:
    console = await open_console(settings)
    spent: list[float] = []

    @web.middleware
    async def timer(request: web.Request, handler: Handler) -> web.StreamResponse:
        t0 = time.perf_counter()
        response = await handler(request)
        spent.append((time.perf_counter() - t0) * 1000)
        return response

    app = create_app(console)
    app.middlewares.insert(0, timer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}"
    top = console.holder.current.engine.kb.entries[0].id
    since = (dt.date.today() - dt.timedelta(days=60)).isoformat()
    pages = [
        ("overview (7 days)", "/?days=7"), ("overview (30 days)", "/?days=30"),
        ("overview (90 days)", "/?days=90"), (f"overview (custom, from {since})",
                                              f"/?since={since}"),
        ("unanswered (30 days)", "/unanswered?days=30"), ("feedback (30 days)", "/feedback"),
        ("questions (30 days, page 1)", "/questions"),
        ("questions (text search)", "/questions?q=%E7%94%9F%E8%82%B2"),
        ("questions (entry, 90 days)", f"/questions?entry={top}&days=90"),
        ("questions (page 50)", "/questions?page=50"),
        ("entry", f"/entry/{top}"), ("FAQ health", "/health"),
    ]
    out: list[tuple[str, list[float], int]] = []
    try:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            token = signin.make_token(console.key, STAFF)
            # Not following the redirect: the overview's first request is timed below.
            async with http.post(url + "/signin", data={"token": token},
                                 allow_redirects=False) as r:
                assert r.status == 303, r.status
            for label, path in pages:
                size = 0
                spent.clear()
                for _ in range(RUNS + 1):
                    async with http.get(url + path) as r:
                        body = await r.read()
                        assert r.status == 200, (path, r.status)
                        size = len(body)
                out.append((label, list(spent), size))
    finally:
        await runner.cleanup()
        await console.store.close()
    return out


