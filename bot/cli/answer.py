"""`ask` and `chat`: the engine in a terminal, one question at a time or a batch."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO

from bot.core.engine import Engine, Result, Suggestion
from bot.core.i18n import Locales
from bot.core.kb import KnowledgeBase, load_kb
from bot.core.languages import DEFAULT_LANG
from bot.core.render import Renderer
from bot.settings import Settings

# Exit status after SIGTERM (128 + 15), as a shell reports a process stopped by it.
EXIT_TERMINATED = 143
# Characters str.splitlines() breaks on that json.dumps(ensure_ascii=False) leaves raw: a
# question containing one must still come out as exactly one line.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _engine(faq_dir: Path) -> Engine:
    return Engine(load_kb(faq_dir))


def _text(raw: bytes | str) -> str:
    """Valid Unicode whatever arrived: undecodable bytes (stdin) or the surrogates Python
    makes of them (arguments) become U+FFFD, so nothing downstream meets an unencodable
    string (a JSON line, the query log)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "replace")


def _lines(stream: BinaryIO) -> Iterator[str]:
    # Bytes, not text: one bad byte must not end the batch (a text stream raises, or
    # smuggles surrogates through to the printer).
    for line in stream:
        yield _text(line.rstrip(b"\r\n"))


def _json_line(obj: Any) -> str:
    line = json.dumps(obj, ensure_ascii=False)
    for char, escape in _LINE_BREAKS.items():
        if char in line:
            line = line.replace(char, escape)
    return line


class LogUnusable(Exception):
    """The query log asked for cannot be used; the message says why."""


class _QueryLogger:
    """Logs CLI questions to the query store when asked to; a no-op otherwise."""

    def __init__(self, settings: Settings, enabled: bool) -> None:
        self.settings = settings
        self.enabled = enabled
        self.store: Any = None

    async def __aenter__(self) -> _QueryLogger:
        if self.enabled:
            from bot.store.connection import StoreError
            from bot.store.privacy import SecretError

            try:
                self.store = await self._open()  # LogUnusable passes through
            except (StoreError, SecretError, OSError) as exc:
                # aiosqlite stops its thread after a failed connect without waiting; let it
                # report back before the loop closes ("Event loop is closed" otherwise).
                await asyncio.sleep(0.05)
                raise LogUnusable(str(exc)) from exc
        return self

    async def _open(self) -> Any:
        from bot.store.privacy import resolve_secret
        from bot.store.querystore import QueryStore

        path = Path(self.settings.db_path)
        if path.exists() and not path.is_file():
            raise LogUnusable(f"{path} is not a file")
        if not path.exists() and path.parent.is_dir() and not os.access(path.parent, os.W_OK):
            raise LogUnusable(f"cannot create {path}: its directory is not writable")
        if self.settings.hmac_secret:  # a bad one fails here, before anything is touched
            resolve_secret(self.settings.hmac_secret, path)
        else:
            # Try the log before a secret file is generated next to it: an unusable path
            # (a directory, a foreign or newer file, a read-only place) leaves nothing behind.
            probe = await QueryStore.open(path, None, writer=False)
            await probe.close()
        secret = resolve_secret(self.settings.hmac_secret, path)
        return await QueryStore.open(path, secret.value)

    async def __aexit__(self, *exc: object) -> None:
        if self.store is not None:
            await self.store.close()

    async def log(self, result: Result, latency_ms: float) -> str | None:
        """Log one question; its query id (for a later pick), None when not logging."""
        if self.store is None:
            return None
        from bot.store.records import record_from_result

        rec = record_from_result(
            result, channel="cli", chat_type=None, user_id="cli", latency_ms=latency_ms
        )
        await self.store.log_query(rec)
        return rec.query_id

    async def pick(self, query_id: str | None, entry_id: str) -> None:
        """A numbered suggestion was chosen: recorded as the Telegram button records it."""
        if self.store is not None and query_id is not None:
            await self.store.log_selection(query_id, entry_id)


def _wants_log(args: argparse.Namespace) -> bool:
    # Log when asked to, or when the deployment configured a database path.
    return bool(args.log or os.environ.get("BOT_DB_PATH"))


def _region(kb: KnowledgeBase, value: str | None) -> str | None:
    """The region id `value` names (an id or an alias from regions.yaml, any case)."""
    if value is None:
        return None
    wanted = value.strip().casefold()
    for rid, region in kb.regions.items():
        if wanted == rid.casefold() or wanted in (a.casefold() for a in region.aliases):
            return rid
    raise LookupError(value)


def _unknown_region(loc: Locales, lang: str, kb: KnowledgeBase, value: str) -> int:
    sep = loc.t(lang, "list_separator")
    print(loc.t(lang, "cli.unknown_region", region=_text(value), regions=sep.join(kb.regions)),
          file=sys.stderr)
    return 2


def _log_unusable(loc: Locales, lang: str, exc: LogUnusable) -> int:
    print(loc.t(lang, "cli.log_unusable", error=exc), file=sys.stderr)
    return 1


# --------------------------------------------------------------------------- ask


async def ask(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(args.faq_dir)
    loc = Locales.load(settings.locales_dir)
    try:
        region = _region(engine.kb, args.region)
    except LookupError:
        return _unknown_region(loc, args.lang, engine.kb, args.region)
    renderer = Renderer(engine.kb, loc)
    questions: Iterator[str] = (
        (_text(q) for q in args.question) if args.question else _lines(sys.stdin.buffer)
    )
    # SIGTERM (docker stop, kill) ends the batch as Ctrl-C does: the current question is
    # finished and everything logged so far is flushed before exit.
    task = asyncio.current_task()
    assert task is not None
    terminated = False

    def on_term() -> None:
        nonlocal terminated
        terminated = True
        task.cancel()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, on_term)
    try:
        async with _QueryLogger(settings, _wants_log(args)) as qlog:
            for q in questions:
                t0 = time.perf_counter()
                result = engine.ask(q, lang=args.lang, region=region)
                await qlog.log(result, (time.perf_counter() - t0) * 1000)
                if args.json:
                    print(_json_line(renderer.to_json(result)), flush=True)
                elif args.question:
                    print(renderer.plain(result), end="\n\n")
                else:
                    # Batch mode: exactly one line of output per question, in order.
                    print(" ".join(renderer.plain(result).split()), flush=True)
                # Let the loop run signal handlers between questions (a batch never waits
                # on anything else).
                await asyncio.sleep(0)
    except LogUnusable as exc:
        return _log_unusable(loc, args.lang, exc)
    except asyncio.CancelledError:
        if not terminated:
            raise  # Ctrl-C: asyncio.run turns it into KeyboardInterrupt
        return EXIT_TERMINATED
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
    return 0


# --------------------------------------------------------------------------- chat


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


async def chat(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(args.faq_dir)
    loc = Locales.load(settings.locales_dir)
    # The interface speaks the fixed language (--lang), else that of the last question.
    lang = args.lang or DEFAULT_LANG
    try:
        region = _region(engine.kb, args.region)
    except LookupError:
        return _unknown_region(loc, lang, engine.kb, args.region)
    renderer = Renderer(engine.kb, loc)
    # asyncio.run's own SIGINT handler only cancels the task, which `input()` never notices:
    # the first Ctrl-C was swallowed. Raise at once instead (and on SIGTERM too), so one
    # Ctrl-C ends the chat like `q`: log flushed, goodbye, exit 0.
    previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        async with _QueryLogger(settings, _wants_log(args)) as qlog:
            print(loc.t(lang, "cli.welcome"))
            try:
                lang = await _converse(engine, renderer, loc, args.lang, region, qlog)
            except (KeyboardInterrupt, EOFError):
                print()  # end the prompt's line after ^C / ^D
    except LogUnusable as exc:
        return _log_unusable(loc, lang, exc)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    print(loc.t(lang, "cli.bye"))
    return 0


async def _converse(engine: Engine, renderer: Renderer, loc: Locales, fixed: str | None,
                    region: str | None, qlog: _QueryLogger) -> str:
    """Question after question until `q` (KeyboardInterrupt / EOFError end it too); returns
    the language the conversation ended in. Without a `fixed` language, answers and the
    interface follow the language of each question."""
    lang = fixed or DEFAULT_LANG
    offered: list[Suggestion] = []
    offered_qid: str | None = None
    while True:
        line = _text(input(loc.t(lang, "cli.prompt")))
        text = line.strip()
        if not text:  # a bare Enter just asks again
            continue
        if text.lower() in ("q", "quit", "exit", "退出"):
            return lang
        if text.isdecimal():
            # A bare number picks a suggestion; it is never a question to answer or log.
            n = int(text)
            if not offered:
                print(loc.t(lang, "cli.nothing_to_pick"), end="\n\n")
                continue
            if not 0 < n <= len(offered):
                print(loc.t(lang, "cli.pick"), end="\n\n")
                continue
            picked = offered[n - 1]
            # A suggestion labelled with a region answers for that region only.
            result = engine.answer_entry(picked.entry_id, lang=lang,
                                         region=picked.region or region)
            await qlog.pick(offered_qid, picked.entry_id)
            offered, offered_qid = [], None
        else:
            t0 = time.perf_counter()
            result = engine.ask(line, lang=fixed, region=region)
            qid = await qlog.log(result, (time.perf_counter() - t0) * 1000)
            lang = result.lang
            offered = list(result.suggestions)
            offered_qid = qid
        print(renderer.plain(result))
        if offered:
            print(loc.t(lang, "cli.pick"))
        print()
