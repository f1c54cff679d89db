"""The composition root of the Telegram bot: build everything once, run it, shut it down.

One place creates the engine (through the reloadable holder), the query store, the
locales, the rate limiter and the PTB `Application`, and puts them in ONE typed `Services`
object (bot/tg/context.py). Handlers reach it as `context.svc` through the custom
`BotContext`; nothing imports this module back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, BaseRateLimiter, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.core.i18n import Locales
from bot.core.reload import EngineHolder, FaqPoller
from bot.settings import Settings
from bot.store.privacy import resolve_secret
from bot.store.querystore import QueryStore
from bot.tg import handlers, handoff_staff, staff_commands
from bot.tg.context import SERVICES_KEY, BotContext, Services
from bot.tg.handoff_desk import DESK_KEY, Desk, desk_of
from bot.tg.ratelimit import UserRateLimiter
from bot.tg.request import AiohttpRequest
from bot.tg.updates import DEFAULT_CONCURRENCY, PerChatUpdateProcessor
from bot.tg.webhook import WebhookServer

log = logging.getLogger(__name__)

# Updates the bot asks Telegram for; everything else is never even fetched.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
# The bot touches this file (next to the database) while it is healthy; the Docker
# HEALTHCHECK looks at its age.
HEARTBEAT_NAME = "heartbeat"
HEARTBEAT_SECONDS = 30.0
# Retries after a 429 from Telegram before a send is given up (each waits `retry_after`).
FLOOD_RETRIES = 3
# Keep-alive HTTP connections to the Bot API (bot/tg_request.py): 16 carry far more than
# the 30 messages a second Telegram allows. A request waits up to POOL_TIMEOUT for one.
CONNECTIONS = 16
POOL_TIMEOUT = 10.0


async def open_services(settings: Settings, *, store: QueryStore | None = None) -> Services:
    """Load locales and the FAQ (raising FaqError when it is invalid) and open the store."""
    locales = Locales.load(settings.locales_dir)
    holder = EngineHolder(settings.faq_dir, locales)
    if store is None:
        secret = resolve_secret(settings.hmac_secret, settings.db_path)
        store = await QueryStore.open(settings.db_path, secret.value)
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
    settings = svc.settings
    if not settings.telegram_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (Application.builder().token(settings.telegram_token)
               .context_types(ContextTypes(context=BotContext))
               # Every reply is HTML (bot/tg/markup.py escapes it) and shows no link preview.
               .defaults(Defaults(parse_mode=ParseMode.HTML,
                                  link_preview_options=LinkPreviewOptions(is_disabled=True))))
    if settings.telegram_api_base_url:
        base = settings.telegram_api_base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    # aiohttp rather than PTB's default httpx: a fraction of the CPU per Bot API call.
    proxy = settings.proxy_url
    builder = builder.request(request or AiohttpRequest(CONNECTIONS, pool_timeout=POOL_TIMEOUT,
                                                        proxy=proxy))
    builder = builder.get_updates_request(updates_request or AiohttpRequest(1, proxy=proxy))
    if rate_limiter is True:
        # Paces sends under Telegram's flood limits and waits out a 429's retry_after.
        rate_limiter = AIORateLimiter(overall_max_rate=settings.telegram_max_rate,
                                      max_retries=FLOOD_RETRIES)
    if isinstance(rate_limiter, BaseRateLimiter):
        builder = builder.rate_limiter(rate_limiter)
    builder = builder.concurrent_updates(PerChatUpdateProcessor(concurrency))
    app = builder.build()
    app.bot_data[SERVICES_KEY] = svc
    app.bot_data[DESK_KEY] = Desk.from_settings(settings)  # None: no human handoff
    handlers.register(app)
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


# Loggers that write what goes over the wire at DEBUG: PTB every update and Bot API call
# with user ids, names and the unmasked question; aiosqlite every SQL statement with its
# parameters. BOT_LOG_LEVEL=DEBUG alone keeps them at INFO; BOT_WIRE_LOG=1 lets them through.
WIRE_LOGGERS = ("telegram", "aiosqlite")


def configure_logging(level: str, wire: bool) -> None:
    """The root logger at `level`; the wire loggers no lower than INFO unless `wire`."""
    root = logging.getLogger()
    root.setLevel(level)
    for name in WIRE_LOGGERS:
        logging.getLogger(name).setLevel(
            logging.NOTSET if wire else max(root.getEffectiveLevel(), logging.INFO))
    if wire:
        log.warning("BOT_WIRE_LOG is on: the log shows raw updates (user ids, names, "
                    "unmasked text) at DEBUG")


def install_redaction(token: str | None) -> None:
    """Keep the token out of every log line, whichever logger writes it."""
    if token:
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactToken(token))


def webhook_path(url: str) -> str:
    """The path the webhook server listens on: the path of the public URL."""
    return urlparse(url).path.strip("/")


async def _heartbeat(path: Path, receiving: Callable[[], bool]) -> None:
    """Touch `path` while updates are being received (read by the Docker HEALTHCHECK)."""
    while True:
        if receiving():
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


def webhook_server(app: Application, settings: Settings) -> WebhookServer:
    """Our own webhook server (bot/tg/webhook.py) rather than PTB's `start_webhook`, which
    reads a whole request body before it checks the secret."""
    assert settings.webhook_url and settings.webhook_secret
    return WebhookServer(app, listen=settings.webhook_listen, port=settings.webhook_port,
                         path=webhook_path(settings.webhook_url),
                         secret=settings.webhook_secret)


async def _start(
    app: Application, svc: Services, server: WebhookServer | None, poll_timeout: float,
    background: list[asyncio.Task[None]],
) -> None:
    """Register the commands, start receiving updates and the background tasks."""
    settings = svc.settings
    await handlers.register_commands(app)
    assert app.updater is not None
    updater = app.updater
    if server is not None:
        await server.start()
        await app.bot.set_webhook(settings.webhook_url or "",
                                  secret_token=settings.webhook_secret,
                                  allowed_updates=ALLOWED_UPDATES)
    else:
        await updater.start_polling(
            poll_interval=0.0, timeout=int(poll_timeout), allowed_updates=ALLOWED_UPDATES)
    await app.start()
    poller = FaqPoller(svc.holder, lambda r: staff_commands.announce_reload(app, r),
                       interval=settings.faq_poll_seconds)
    background.append(asyncio.create_task(poller.run(), name="faq-poller"))
    background.append(asyncio.create_task(_heartbeat(
        settings.db_path.parent / HEARTBEAT_NAME,
        (lambda: server.running) if server is not None else (lambda: updater.running)),
        name="heartbeat"))
    if desk_of(app) is not None:
        await handoff_staff.load(app)  # open tickets survive a restart
        background.append(asyncio.create_task(handoff_staff.idle_closer(app),
                                              name="handoff-idle"))
    log.info("bot @%s is running (%s)", app.bot.username,
             "webhook" if server is not None else "long polling")


async def serve(
    settings: Settings,
    *,
    webhook: bool = False,
    store: QueryStore | None = None,
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
        server = webhook_server(app, settings) if webhook else None
        try:
            async with app:  # initialize (getMe) ... shutdown
                try:
                    await _start(app, svc, server, poll_timeout, background)
                    if on_ready is not None:
                        await on_ready(app)
                    await stop.wait()
                finally:
                    log.info("stopping: no new updates, finishing the ones in flight")
                    started = time.perf_counter()
                    for task in background:
                        task.cancel()
                    await asyncio.gather(*background, return_exceptions=True)
                    if server is not None:
                        await server.stop()  # stop taking updates
                    if app.updater is not None and app.updater.running:
                        await app.updater.stop()  # stop taking updates
                    if app.running:
                        await app.stop()  # waits for every handler still running
                    log.info("in-flight updates finished in %.2fs",
                             time.perf_counter() - started)
        finally:
            # When initialize() fails (bad token, API unreachable) PTB's shutdown() returns
            # early, as the app never counted as initialized, and the bot's HTTP sessions
            # stay open ("Unclosed client session"). Bot.shutdown() is idempotent.
            await app.bot.shutdown()
    finally:
        await svc.store.close()  # flushes the query log, then closes the database
        log.info("query log flushed, database closed")
    return 0
