"""`python -m bot run`: the Telegram bot, by long polling (default) or `--webhook`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from dataclasses import replace
from typing import Any

from bot.settings import Settings

log = logging.getLogger("bot")

# What Telegram accepts as a webhook secret token.
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def register(subparsers: Any) -> None:
    """Add the `run` subcommand."""
    p = subparsers.add_parser(
        "run", help="run the Telegram bot (long polling; --webhook for a webhook server)",
        description="Run the Telegram bot. Needs TELEGRAM_BOT_TOKEN (from @BotFather).")
    p.add_argument("--webhook", action="store_true",
                   help="receive updates by webhook instead of long polling")
    p.add_argument("--webhook-url", help="public HTTPS URL Telegram posts to (BOT_WEBHOOK_URL)")
    p.add_argument("--listen", help="address the webhook server binds (BOT_WEBHOOK_LISTEN, "
                                    "default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port of the webhook server (BOT_WEBHOOK_PORT, "
                                            "default 8443)")
    p.add_argument("--secret", help="webhook secret token (BOT_WEBHOOK_SECRET; prefer the "
                                    "variable: arguments show in `ps`)")
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _settings(args: argparse.Namespace) -> Settings:
    settings: Settings = getattr(args, "settings", None) or Settings.from_env()
    changes: dict[str, Any] = {}
    if getattr(args, "faq_dir", None):
        changes["faq_dir"] = args.faq_dir
    for arg, name in (("webhook_url", "webhook_url"), ("listen", "webhook_listen"),
                      ("port", "webhook_port"), ("secret", "webhook_secret")):
        value = getattr(args, arg, None)
        if value is not None:
            changes[name] = value
    return replace(settings, **changes)


def check(settings: Settings, webhook: bool) -> str | None:
    """What is missing or wrong for running, as one line; None when all is well."""
    if not settings.telegram_token:
        return ("TELEGRAM_BOT_TOKEN is not set (get a token from @BotFather). "
                "To try the bot without Telegram: python -m bot chat")
    if webhook:
        if not settings.webhook_url:
            return "webhook mode needs BOT_WEBHOOK_URL (or --webhook-url), the public HTTPS URL"
        if not settings.webhook_secret:
            return ("webhook mode needs BOT_WEBHOOK_SECRET (or --secret): updates without it "
                    "are rejected")
        if not _SECRET_RE.fullmatch(settings.webhook_secret):
            return "BOT_WEBHOOK_SECRET may only use A-Z a-z 0-9 _ - (1 to 256 characters)"
    if settings.handoff_chat_id is not None:
        from bot.core.office_hours import HoursError, Schedule

        try:
            Schedule.parse(settings.handoff_hours, settings.handoff_tz)
        except HoursError as exc:
            return f"BOT_HANDOFF_HOURS / BOT_HANDOFF_TZ: {exc}"
    return None


def run(args: argparse.Namespace) -> int:
    """Run the bot until SIGTERM/SIGINT; 0 after a clean shutdown."""
    settings = _settings(args)
    webhook = bool(getattr(args, "webhook", False))
    problem = check(settings, webhook)
    if problem:
        return _fail(problem)
    from telegram.error import InvalidToken, NetworkError

    from bot.store.connection import StoreError
    from bot.store.privacy import SecretError
    from bot.tg.app import configure_logging, install_redaction, serve

    configure_logging(settings.log_level, settings.wire_log)
    install_redaction(settings.telegram_token)
    try:
        return asyncio.run(serve(settings, webhook=webhook))
    except InvalidToken:
        print("error: Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather",
              file=sys.stderr)
    except NetworkError as exc:
        where = settings.telegram_api_base_url or "https://api.telegram.org"
        print(f"error: cannot reach the Bot API at {where}: {exc}".replace(
            settings.telegram_token or "\0", "<token>"), file=sys.stderr)
    except (StoreError, SecretError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except OSError as exc:  # e.g. the webhook port is taken
        print(f"error: {exc}", file=sys.stderr)
    return 1
