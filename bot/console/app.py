"""The console's aiohttp application: the middlewares and the routes of every page, and
opening the console over the bot's query log and FAQ."""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from bot.console import auth, health, overview, pages, questions, unanswered
from bot.console.base import CONSOLE, HERE, Console, security_headers
from bot.core.i18n import Locales
from bot.core.reload import EngineHolder
from bot.settings import Settings
from bot.staff.signin import console_key
from bot.store.querystore import QueryStore

__all__ = ["Console", "create_app", "open_console"]


def create_app(console: Console) -> web.Application:
    """The console: sign-in, then the pages (see bot.console)."""
    app = web.Application(middlewares=[security_headers, auth.session_middleware],
                          client_max_size=256 * 1024)
    app[CONSOLE] = console
    app.router.add_static("/static/", HERE / "static", name="static")
    auth.routes(app)
    app.router.add_get("/", overview.page)
    unanswered.routes(app)
    app.router.add_get("/feedback", pages.feedback)
    app.router.add_get("/entry/{entry_id}", pages.entry)
    app.router.add_get("/questions", questions.page)
    app.router.add_get("/questions.csv", questions.csv)
    app.router.add_get("/health", health.page)
    return app


async def open_console(settings: Settings, *, holder: EngineHolder | None = None,
                       today: dt.date | None = None) -> Console:
    """Open the query log and the FAQ the way the bot does (same BOT_DB_PATH, BOT_FAQ_DIR)."""
    locales = Locales.load(settings.locales_dir)
    holder = holder or EngineHolder(settings.faq_dir, locales, today=today)
    key = console_key(settings.console_secret, settings.hmac_secret, settings.db_path)
    store = await QueryStore.open(settings.db_path, None, writer=False)
    return Console(settings, store, holder, locales, key)
