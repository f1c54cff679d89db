"""The composition root of the Telegram bot: build everything once, run it, shut it down.

One place creates the engine (through the reloadable holder), the query store, the
locales, the rate limiter and the PTB `Application`, and puts them in ONE typed `Services`
object in `application.bot_data`. Handlers reach it only through `services(context)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from telegram import Update, User
from telegram.ext import AIORateLimiter, Application, BaseRateLimiter, ContextTypes
from telegram.request import BaseRequest

from bot.core.i18n import Locales
from bot.core.reload import EngineHolder, FaqPoller
from bot.settings import Settings
from bot.tg.ratelimit import UserRateLimiter
from bot.tg.request import AiohttpRequest
from bot.tg.updates import DEFAULT_CONCURRENCY, PerChatUpdateProcessor

log = logging.getLogger(__name__)

SERVICES_KEY = "services"
# Updates the bot asks Telegram for; everything else is never even fetched.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
# The bot touches this file (next to the database) while it is healthy; the Docker
# HEALTHCHECK looks at its age.
HEARTBEAT_NAME = "heartbeat"
HEARTBEAT_SECONDS = 30.0
# How many users' language/region are kept in memory (a cache of the store's prefs table).
PREFS_CACHE_SIZE = 10_000
# Retries after a 429 from Telegram before a send is given up (each waits `retry_after`).
FLOOD_RETRIES = 3
# Keep-alive HTTP connections to the Bot API (bot/tg_request.py): 16 carry far more than
# the 30 messages a second Telegram allows. A request waits up to POOL_TIMEOUT for one.
CONNECTIONS = 16
POOL_TIMEOUT = 10.0


class QueryLog(Protocol):
    """What the bot needs of the query store (bot.store.querystore.QueryStore)."""

    async def log_query(self, rec: Any) -> None: ...
    async def log_feedback(self, query_id: str, helpful: bool) -> None: ...
    async def log_selection(self, query_id: str, entry_id: str) -> None: ...
    async def log_denied(self, user_id: Any, command: str) -> None: ...
    async def get_prefs(self, user_id: Any) -> Any: ...
    async def set_prefs(self, user_id: Any, *, lang: Any = ..., region: Any = ...) -> Any: ...
    async def flush(self) -> None: ...
    async def close(self) -> None: ...
    # Reports for /stats and /unanswered.
    async def stats_cube(self, period: Any) -> list[Any]: ...
    async def event_totals(self, period: Any) -> dict[str, int]: ...
    async def unanswered_texts(self, period: Any, limit: int) -> tuple[list[Any], int, int]: ...


@dataclass(frozen=True)
class UserPrefs:
    """A user's language and region, resolved: the language is one we have."""

    lang: str
    region: str | None


@dataclass
class Services:
    """Everything a handler may use. Built once per process by `open_services`."""

    settings: Settings
    holder: EngineHolder
    store: QueryLog
    locales: Locales
    limiter: UserRateLimiter
    _prefs: OrderedDict[int, tuple[str | None, str | None]] = field(
        default_factory=OrderedDict, repr=False)

    def is_staff(self, user: User | None) -> bool:
        return user is not None and user.id in self.settings.staff_ids

    async def _stored(self, user_id: int) -> tuple[str | None, str | None]:
        cached = self._prefs.get(user_id)
        if cached is None:
            p = await self.store.get_prefs(user_id)
            cached = (p.lang, p.region) if p is not None else (None, None)
            self._remember(user_id, cached)
        else:
            self._prefs.move_to_end(user_id)
        return cached

    def _remember(self, user_id: int, value: tuple[str | None, str | None]) -> None:
        self._prefs[user_id] = value
        self._prefs.move_to_end(user_id)
        while len(self._prefs) > PREFS_CACHE_SIZE:
            self._prefs.popitem(last=False)

    async def prefs(self, user: User | None) -> UserPrefs:
        """The user's language (/lang, else Telegram's language_code, else zh) and region."""
        if user is None:
            return UserPrefs(self.locales.resolve(None), None)
        lang, region = await self._stored(user.id)
        if lang not in self.locales.languages:
            lang = self.locales.resolve(user.language_code)
        if region not in self.holder.current.engine.kb.regions:
            region = None  # a region dropped from the FAQ since it was chosen
        return UserPrefs(lang, region)

    async def lang_of(self, user_id: int) -> str:
        """The language chosen by a user known only by id (e.g. staff being notified)."""
        lang = (await self._stored(user_id))[0]
        return lang if lang in self.locales.languages else self.locales.resolve(None)

    async def set_lang(self, user_id: int, lang: str) -> None:
        await self.store.set_prefs(user_id, lang=lang)
        self._remember(user_id, (lang, (await self._stored(user_id))[1]))

    async def set_region(self, user_id: int, region: str | None) -> None:
        await self.store.set_prefs(user_id, region=region)
        self._remember(user_id, ((await self._stored(user_id))[0], region))


def services_of(app: Application) -> Services:
    """The services stored in an application (for code outside a handler)."""
    svc = app.bot_data[SERVICES_KEY]
    assert isinstance(svc, Services)
    return svc


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The one typed way for a handler to reach the bot's services."""
    return services_of(context.application)


async def open_services(settings: Settings, *, store: QueryLog | None = None) -> Services:
    """Load locales and the FAQ (raising FaqError when it is invalid) and open the store."""
    locales = Locales.load(settings.locales_dir)
    holder = EngineHolder(settings.faq_dir, locales)
    if store is None:
        from bot.store.privacy import resolve_secret
        from bot.store.querystore import QueryStore

        secret = resolve_secret(settings.hmac_secret, settings.db_path)
        opened: QueryLog = await QueryStore.open(settings.db_path, secret.value)
        store = opened
    return Services(settings, holder, store, locales,
                    UserRateLimiter(limit=settings.user_rate_limit))


def build_application(
    svc: Services,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter[Any] | bool | None = True,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Application:
    """The PTB Application wired to `svc`, with every handler registered."""
    from bot.tg import handlers as tg_handlers  # handlers import this module for `services`

    settings = svc.settings
    if not settings.telegram_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = Application.builder().token(settings.telegram_token)
    if settings.telegram_api_base_url:
        base = settings.telegram_api_base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    # aiohttp rather than PTB's default httpx: a fraction of the CPU per Bot API call.
    builder = builder.request(request or AiohttpRequest(CONNECTIONS, pool_timeout=POOL_TIMEOUT))
    builder = builder.get_updates_request(updates_request or AiohttpRequest(1))
    if rate_limiter is True:
        # Paces sends under Telegram's flood limits and waits out a 429's retry_after.
        rate_limiter = AIORateLimiter(overall_max_rate=settings.telegram_max_rate,
                                      max_retries=FLOOD_RETRIES)
    if isinstance(rate_limiter, BaseRateLimiter):
        builder = builder.rate_limiter(rate_limiter)
    builder = builder.concurrent_updates(PerChatUpdateProcessor(concurrency))
    app = builder.build()
    app.bot_data[SERVICES_KEY] = svc
    tg_handlers.register(app)
    return app


# --------------------------------------------------------------------------- running


class RedactToken(logging.Filter):
    """Replaces the bot token in every log record (it is part of Bot API URLs)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            msg = record.getMessage()
            if self.token in msg:
                record.msg, record.args = msg.replace(self.token, "<token>"), None
        return True


def install_redaction(token: str | None) -> None:
    """Keep the token out of every log line, whichever logger writes it."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every URL
    if token:
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactToken(token))


def webhook_path(url: str) -> str:
    """The path the webhook server listens on: the path of the public URL."""
    return urlparse(url).path.strip("/")


async def _heartbeat(path: Path, app: Application) -> None:
    """Touch `path` while updates are being received (read by the Docker HEALTHCHECK)."""
    while True:
        if app.updater is not None and app.updater.running:
            with contextlib.suppress(OSError):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
        await asyncio.sleep(HEARTBEAT_SECONDS)


def _install_signals(stop: asyncio.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def _start(
    app: Application, svc: Services, webhook: bool, poll_timeout: float,
    background: list[asyncio.Task[None]],
) -> None:
    """Register the commands, start receiving updates and the background tasks."""
    from bot.tg import handlers as tg_handlers
    from bot.tg import staff_commands as tg_staff

    settings = svc.settings
    await tg_handlers.register_commands(app)
    assert app.updater is not None
    if webhook:
        assert settings.webhook_url and settings.webhook_secret
        await app.updater.start_webhook(
            listen=settings.webhook_listen, port=settings.webhook_port,
            url_path=webhook_path(settings.webhook_url),
            webhook_url=settings.webhook_url, secret_token=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES)
    else:
        await app.updater.start_polling(
            poll_interval=0.0, timeout=int(poll_timeout), allowed_updates=ALLOWED_UPDATES)
    await app.start()
    poller = FaqPoller(svc.holder, lambda r: tg_staff.announce_reload(app, r),
                       interval=settings.faq_poll_seconds)
    background.append(asyncio.create_task(poller.run(), name="faq-poller"))
    background.append(asyncio.create_task(
        _heartbeat(settings.db_path.parent / HEARTBEAT_NAME, app), name="heartbeat"))
    log.info("bot @%s is running (%s)", app.bot.username,
             "webhook" if webhook else "long polling")


async def serve(
    settings: Settings,
    *,
    webhook: bool = False,
    store: QueryLog | None = None,
    stop: asyncio.Event | None = None,
    install_signals: bool = True,
    poll_timeout: float = 10.0,
    on_ready: Callable[[Application], Awaitable[None]] | None = None,
    build: Callable[[Services], Application] = build_application,
) -> int:
    """Run the bot until SIGTERM/SIGINT (or `stop`): then stop taking updates, finish the
    answers in flight, flush the query log and close the database. Returns the exit code."""
    stop = stop or asyncio.Event()
    if install_signals:
        _install_signals(stop)
    svc = await open_services(settings, store=store)
    background: list[asyncio.Task[None]] = []
    try:
        app = build(svc)
        async with app:  # initialize (getMe) ... shutdown
            try:
                await _start(app, svc, webhook, poll_timeout, background)
                if on_ready is not None:
                    await on_ready(app)
                await stop.wait()
            finally:
                log.info("stopping: no new updates, finishing the ones in flight")
                started = time.perf_counter()
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)
                if app.updater is not None and app.updater.running:
                    await app.updater.stop()  # stop taking updates
                if app.running:
                    await app.stop()  # waits for every handler still running
                log.info("in-flight updates finished in %.2fs", time.perf_counter() - started)
    finally:
        await svc.store.close()  # flushes the query log, then closes the database
        log.info("query log flushed, database closed")
    return 0
