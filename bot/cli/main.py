"""`python -m bot`: the command line. One subcommand per job; see `--help`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from bot.cli import answer, console, faq, run, staff_commands
from bot.core.kb import FaqError
from bot.core.languages import DEFAULT_LANG, LANGUAGES
from bot.settings import Settings, SettingsError

log = logging.getLogger("bot")


# --------------------------------------------------------------------------- eval, bench


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bench.evaluation import main as eval_main

    return eval_main(args)


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    # Imported when asked for: the benchmarks pull in what a resident's `ask` never needs.
    if args.store:
        from bot.bench import store as store_bench

        return store_bench.main(args)
    if args.console:
        from bot.bench.console import main as console_bench

        return console_bench(args)
    if args.telegram:
        from bot.bench import telegram as telegram_bench

        return telegram_bench.main(args)
    from bot.bench import engine as engine_bench

    return engine_bench.main(args)


# --------------------------------------------------------------------------- parser


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "--faq-dir",
        type=Path,
        default=settings.faq_dir,
        help="FAQ directory (env BOT_FAQ_DIR; default faq/)",
    )
    # No subcommand: the bot's main job, Telegram when a token is configured, else the
    # terminal chat.
    sub = parser.add_subparsers(dest="command")

    def lang_region(p: argparse.ArgumentParser) -> None:
        # No --lang: each answer follows the language its question is written in.
        p.add_argument(
            "--lang",
            choices=LANGUAGES,
            default=None,
            help=f"fix the answer language (default: the question's; UI {DEFAULT_LANG})",
        )
        p.add_argument("--region", help="preferred region id (xinjiang, changji, wuhai, …)")
        p.add_argument(
            "--log",
            action="store_true",
            help="log questions to the query database (also when BOT_DB_PATH is set)",
        )

    p = sub.add_parser("ask", help="answer questions (from arguments, or stdin one per line)")
    p.add_argument("question", nargs="*")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    lang_region(p)
    p.set_defaults(func=lambda a: asyncio.run(answer.ask(a, a.settings)))

    p = sub.add_parser("chat", help="interactive terminal chat on the same engine")
    lang_region(p)
    p.set_defaults(func=lambda a: asyncio.run(answer.chat(a, a.settings)))

    p = sub.add_parser("check-faq", help="validate the FAQ and summarise it")
    p.add_argument("directory", nargs="?", type=Path)
    p.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANG)
    p.set_defaults(func=lambda a: faq.check_faq(a, a.settings))

    p = sub.add_parser("eval", help="accuracy on the labelled evaluation set")
    p.add_argument(
        "--set",
        dest="eval_file",
        type=Path,
        default=None,
        help="evaluation YAML (default tests/data/eval.yaml)",
    )
    p.add_argument("--sweep", action="store_true", help="accuracy over a range of thresholds")
    p.add_argument(
        "--fit",
        action="store_true",
        help="fit the confidence model on the fitting sets; thresholds by cross-validation",
    )
    p.add_argument("--all", action="store_true", help="one line of figures per labelled set")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=lambda a: _eval(a, a.settings))

    p = sub.add_parser("bench", help="latency, throughput and memory figures")
    p.add_argument("--store", action="store_true", help="query-log benchmark")
    p.add_argument("--telegram", action="store_true", help="Telegram front-end benchmark")
    p.add_argument("--console", action="store_true", help="staff console page times and sizes")
    p.add_argument("--rows", type=int, default=1_000_000, help="(--store) synthetic log size")
    p.add_argument("--users", type=int, default=20, help="(--telegram) simulated users")
    p.add_argument("--messages", type=int, default=50, help="(--telegram) messages per user")
    p.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    p.set_defaults(func=lambda a: _bench(a, a.settings))

    staff_commands.register(sub)
    run.register(sub)
    console.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    parser = build_parser(settings)
    args = parser.parse_args(argv)
    if args.command is None:
        default = "run" if settings.telegram_token else "chat"
        args = parser.parse_args([*(argv or sys.argv[1:]), default])
    args.settings = settings  # subcommands reach configuration through args
    with suppress(AttributeError):  # stdout may be a pipe in a non-UTF-8 locale
        sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    try:
        return int(args.func(args) or 0)
    except FaqError as exc:
        print(f"error: the FAQ is invalid:\n{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `… | head`: the reader left; not an error of ours
        sys.stderr.close()
        return 0
