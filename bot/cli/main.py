"""`python -m bot`: the command line. One subcommand per job; see `--help`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, TextIO

from bot.cli import run, staff
from bot.core.check import overlaps, summary
from bot.core.engine import Engine, Result
from bot.core.i18n import Locales
from bot.core.kb import FaqError, load_kb
from bot.core.languages import DEFAULT_LANG, LANGUAGES
from bot.core.render import Renderer
from bot.settings import Settings, SettingsError

log = logging.getLogger("bot")



def _engine(faq_dir: Path) -> Engine:
    return Engine(load_kb(faq_dir))


def _lines(stream: TextIO) -> Iterator[str]:
    for line in stream:
        yield line.rstrip("\r\n")


class _QueryLogger:
    """Logs CLI questions to the query store when asked to; a no-op otherwise."""

    def __init__(self, settings: Settings, enabled: bool) -> None:
        self.settings = settings
        self.enabled = enabled
        self.store: Any = None

    async def __aenter__(self) -> _QueryLogger:
        if self.enabled:
            from bot.store.privacy import resolve_secret
            from bot.store.querystore import QueryStore

            secret = resolve_secret(self.settings.hmac_secret, self.settings.db_path)
            self.store = await QueryStore.open(self.settings.db_path, secret.value)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.store is not None:
            await self.store.close()

    async def log(self, result: Result, latency_ms: float) -> None:
        if self.store is None:
            return
        from bot.store.records import record_from_result

        rec = record_from_result(
            result, channel="cli", chat_type=None, user_id="cli", latency_ms=latency_ms
        )
        await self.store.log_query(rec)


def _wants_log(args: argparse.Namespace) -> bool:
    # Log when asked to, or when the deployment configured a database path.
    import os

    return bool(args.log or os.environ.get("BOT_DB_PATH"))


# --------------------------------------------------------------------------- ask


async def _ask(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(args.faq_dir)
    renderer = Renderer(engine.kb, Locales.load(settings.locales_dir))
    questions: Iterator[str] = iter(args.question) if args.question else _lines(sys.stdin)
    async with _QueryLogger(settings, _wants_log(args)) as qlog:
        for q in questions:
            t0 = time.perf_counter()
            result = engine.ask(q, lang=args.lang, region=args.region)
            await qlog.log(result, (time.perf_counter() - t0) * 1000)
            if args.json:
                print(json.dumps(renderer.to_json(result), ensure_ascii=False), flush=True)
            elif args.question:
                print(renderer.plain(result), end="\n\n")
            else:
                # Batch mode: exactly one line of output per question, in order.
                print(" ".join(renderer.plain(result).split()), flush=True)
    return 0


# --------------------------------------------------------------------------- chat


async def _chat(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(args.faq_dir)
    loc = Locales.load(settings.locales_dir)
    renderer = Renderer(engine.kb, loc)
    lang = args.lang
    print(loc.t(lang, "cli.welcome"))
    offered: list[str] = []
    async with _QueryLogger(settings, _wants_log(args)) as qlog:
        while True:
            try:
                line = input(loc.t(lang, "cli.prompt"))
            except (EOFError, KeyboardInterrupt):
                print()
                break
            text = line.strip()
            if not text:  # a bare Enter just asks again
                continue
            if text.lower() in ("q", "quit", "exit", "退出"):
                break
            if text.isdigit() and 0 < int(text) <= len(offered):
                result = engine.answer_entry(offered[int(text) - 1], lang=lang, region=args.region)
                offered = []
            else:
                t0 = time.perf_counter()
                result = engine.ask(line, lang=lang, region=args.region)
                await qlog.log(result, (time.perf_counter() - t0) * 1000)
                offered = [s.entry_id for s in result.suggestions]
            print(renderer.plain(result))
            if offered:
                print(loc.t(lang, "cli.pick"))
            print()
    print(loc.t(lang, "cli.bye"))
    return 0


# --------------------------------------------------------------------------- check-faq


def _check_faq(args: argparse.Namespace, settings: Settings) -> int:
    directory = args.directory or args.faq_dir
    try:
        kb = load_kb(directory)
    except FaqError as exc:
        print(f"FAQ in {directory} is invalid ({len(exc.problems)} problems):", file=sys.stderr)
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print(summary(kb))
    found = overlaps(kb)
    for o in found:
        print(f"warning: {o}")
    print(f"OK: {directory} is valid" + (f", {len(found)} overlap warnings" if found else ""))
    return 0


# --------------------------------------------------------------------------- eval, bench


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bench.evaluation import main as eval_main

    return eval_main(args)


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    # Imported when asked for: the benchmarks pull in what a resident's `ask` never needs.
    if args.store:
        from bot.bench import store as store_bench

        return store_bench.main(args)
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
        p.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANG)
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
    p.set_defaults(func=lambda a: asyncio.run(_ask(a, a.settings)))

    p = sub.add_parser("chat", help="interactive terminal chat on the same engine")
    lang_region(p)
    p.set_defaults(func=lambda a: asyncio.run(_chat(a, a.settings)))

    p = sub.add_parser("check-faq", help="validate the FAQ and summarise it")
    p.add_argument("directory", nargs="?", type=Path)
    p.set_defaults(func=lambda a: _check_faq(a, a.settings))

    p = sub.add_parser("eval", help="accuracy on the labelled evaluation set")
    p.add_argument(
        "--set",
        dest="eval_file",
        type=Path,
        default=None,
        help="evaluation YAML (default tests/data/eval.yaml)",
    )
    p.add_argument("--sweep", action="store_true", help="accuracy over a range of thresholds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=lambda a: _eval(a, a.settings))

    p = sub.add_parser("bench", help="latency, throughput and memory figures")
    p.add_argument("--store", action="store_true", help="query-log benchmark")
    p.add_argument("--telegram", action="store_true", help="Telegram front-end benchmark")
    p.add_argument("--rows", type=int, default=1_000_000, help="(--store) synthetic log size")
    p.add_argument("--users", type=int, default=20, help="(--telegram) simulated users")
    p.add_argument("--messages", type=int, default=50, help="(--telegram) messages per user")
    p.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    p.set_defaults(func=lambda a: _bench(a, a.settings))

    staff.register(sub)
    run.register(sub)
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
