"""`python -m bot console`: serve the staff console; `--login-link STAFF_ID` prints a
one-time sign-in link instead (set-up, and deployments without Telegram)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from bot.settings import Settings

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("console", help="the staff web console")
    p.add_argument("--login-link", type=int, metavar="STAFF_ID",
                   help="print a one-time sign-in link for this staff id and exit")
    p.add_argument("--listen", help="address (default BOT_CONSOLE_LISTEN, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default BOT_CONSOLE_PORT, 8080)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    if args.login_link is not None:
        # Here, not at the top: every command builds the parser that registers this one.
        from bot.staff import signin

        if args.login_link not in settings.staff_ids:
            print(f"error: {args.login_link} is not in BOT_STAFF_IDS", file=sys.stderr)
            return 2
        key = signin.console_key(settings.console_secret, settings.hmac_secret,
                                 settings.db_path)
        print(signin.login_link(settings.console_url, key, args.login_link))
        return 0
    return asyncio.run(serve(settings, args.listen or settings.console_listen,
                             args.port or settings.console_port))


async def serve(settings: Settings, host: str, port: int) -> int:
    from aiohttp import web

    from bot.console.app import create_app, open_console

    logging.getLogger("bot").setLevel(settings.log_level)
    if not settings.staff_ids:
        print("warning: BOT_STAFF_IDS is empty: nobody can sign in", file=sys.stderr)
    console = await open_console(settings)
    runner = web.AppRunner(create_app(console), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        print(f"staff console on http://{host}:{port} (public URL {settings.console_url}); "
              "sign in with /console in Telegram or --login-link", file=sys.stderr)
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        pass
    finally:
        await runner.cleanup()
        await console.store.close()
    return 0
