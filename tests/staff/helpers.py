"""Staff test helpers: run a `review` subcommand in process."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.staff_commands import register
from bot.settings import Settings
from tests.helpers import FAQ_DIR, LOCALES_DIR


def run_cli(argv: list[str], db: Path, faq: Path = FAQ_DIR) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    args.settings = Settings.from_env({"BOT_DB_PATH": str(db), "BOT_FAQ_DIR": str(faq),
                                       "BOT_LOCALES_DIR": str(LOCALES_DIR)})
    return int(args.func(args))
