"""`ask` and `chat`: the engine in a terminal, one question at a time or a batch."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from bot.core.engine import Engine, Result, Suggestion
from bot.core.i18n import Locales
from bot.core.kb import load_kb
from bot.core.languages import DEFAULT_LANG
from bot.core.render import Renderer
from bot.settings import Settings


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


async def ask(args: argparse.Namespace, settings: Settings) -> int:
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


async def chat(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(args.faq_dir)
    loc = Locales.load(settings.locales_dir)
    renderer = Renderer(engine.kb, loc)
    # The interface speaks the fixed language, else the language of the last question.
    lang = args.lang or DEFAULT_LANG
    print(loc.t(lang, "cli.welcome"))
    offered: list[Suggestion] = []
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
                picked = offered[int(text) - 1]
                # A suggestion labelled with a region answers for that region only.
                result = engine.answer_entry(
                    picked.entry_id, lang=lang, region=picked.region or args.region
                )
                offered = []
            else:
                t0 = time.perf_counter()
                result = engine.ask(line, lang=args.lang, region=args.region)
                await qlog.log(result, (time.perf_counter() - t0) * 1000)
                lang = result.lang
                offered = list(result.suggestions)
            print(renderer.plain(result))
            if offered:
                print(loc.t(lang, "cli.pick"))
            print()
    print(loc.t(lang, "cli.bye"))
    return 0
