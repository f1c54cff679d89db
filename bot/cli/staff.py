"""`python -m bot review …` and `python -m bot purge …`: the service staff's commands.

The implementations: their arguments are in staff_commands.py, which imports this module
only when one of them is run. Reports read the query log (BOT_DB_PATH, or --db);
`suggest --apply` edits the FAQ (BOT_FAQ_DIR, or --faq-dir).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TextIO

from bot.core import faq_edit
from bot.core.i18n import Locales
from bot.core.kb import FaqError, KnowledgeBase, load_kb
from bot.core.languages import DEFAULT_LANG
from bot.core.normalize import Normalizer
from bot.settings import Settings
from bot.staff import clusters, export, handoff, periods, reports, tables
from bot.store.connection import StoreError
from bot.store.querystore import QueryStore
from bot.store.records import Period

_OLDER_THAN = re.compile(r"^(\d+)\s*([dw]?)$")


# --------------------------------------------------------------------------- helpers


def _settings(args: argparse.Namespace) -> Settings:
    s = getattr(args, "settings", None)
    return s if isinstance(s, Settings) else Settings.from_env()


def _locales(args: argparse.Namespace) -> Locales:
    return Locales.load(_settings(args).locales_dir)


def _say(args: argparse.Namespace, key: str, stream: TextIO | None = None, **values: Any) -> None:
    print(_locales(args).t(getattr(args, "lang", "zh"), f"staff.{key}", **values),
          file=stream or sys.stderr)


def _tr(args: argparse.Namespace) -> tables.Translate:
    """The report strings (staff.report.*) in the language asked for."""
    loc, lang = _locales(args), getattr(args, "lang", DEFAULT_LANG)

    def tr(key: str, /, **values: object) -> str:
        return loc.t(lang, f"staff.report.{key}", **values)

    return tr


def _db_path(args: argparse.Namespace) -> Path:
    return Path(args.db) if getattr(args, "db", None) else _settings(args).db_path


def _faq_dir(args: argparse.Namespace) -> Path:
    for name in ("staff_faq_dir", "faq_dir"):
        value = getattr(args, name, None)
        if value:
            return Path(value)
    return _settings(args).faq_dir


def _reason(exc: OSError) -> str:
    """An OSError in a few words: "Permission denied", "No such file or directory"."""
    return exc.strerror or str(exc)


class _NoLog(Exception):
    """There is no query log to read (already told the user)."""


@contextlib.asynccontextmanager
async def _opened(args: argparse.Namespace, *,
                  read_only: bool = True) -> AsyncIterator[QueryStore]:
    """The log (no secret: reports never need one); _NoLog if there is none. Reports open
    it read-only: they work on a read-only copy and never change the file."""
    path = _db_path(args)
    if not path.exists():
        _say(args, "no_db", path=path)
        raise _NoLog
    async with await QueryStore.open(path, None, writer=False, read_only=read_only) as store:
        yield store


def _kb(args: argparse.Namespace, quiet: bool = False) -> KnowledgeBase | None:
    try:
        return load_kb(_faq_dir(args))
    except FaqError as exc:
        if not quiet:
            first = str(exc).splitlines()[0] if str(exc) else ""
            _say(args, "kb_unavailable", error=first)
        return None


def _period(args: argparse.Namespace) -> Period:
    return periods.make_period(args.since, args.until, everything=args.everything)


def _guard(fn: Any) -> Any:
    """Turn expected errors (bad period, unusable database) into a message and exit code."""

    async def run(args: argparse.Namespace) -> int:
        try:
            return int(await fn(args))
        except periods.PeriodError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except StoreError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except _NoLog:
            return 1

    return run


# --------------------------------------------------------------------------- reports


@_guard
async def _unanswered(args: argparse.Namespace) -> int:
    period = _period(args)
    kb = _kb(args, quiet=True)
    norm = Normalizer(kb.synonyms, kb.fillers) if kb else None
    async with _opened(args) as store:
        report = await clusters.unanswered(store, period, limit=args.limit,
                                         similarity=args.similarity, normalizer=norm)
    print(tables.as_json(report) if args.json else
          tables.render_unanswered(report, examples=args.examples, tr=_tr(args)))
    return 0


@_guard
async def _feedback(args: argparse.Namespace) -> int:
    period = _period(args)
    kb = _kb(args, quiet=args.json)
    async with _opened(args) as store:
        items = await reports.feedback(store, period, limit=args.limit, kb=kb, lang=args.lang)
    if args.json:
        print(tables.as_json({"period": period, "entries": items}))
    else:
        print(tables.render_feedback(items, period, tr=_tr(args)))
    return 0


@_guard
async def _top(args: argparse.Namespace) -> int:
    period = _period(args)
    kb = _kb(args, quiet=args.json)
    async with _opened(args) as store:
        report = await reports.top(store, period, limit=args.limit, kb=kb, lang=args.lang)
    print(tables.as_json(report) if args.json else tables.render_top(report, tr=_tr(args)))
    return 0


@_guard
async def _stats(args: argparse.Namespace) -> int:
    period = _period(args)
    async with _opened(args) as store:
        report = await reports.stats(store, period)
    print(tables.as_json(report) if args.json else tables.render_stats(report, tr=_tr(args)))
    return 0


@_guard
async def _handoff(args: argparse.Namespace) -> int:
    period = _period(args)
    async with _opened(args) as store:
        figures = await handoff.handoff_stats(store, period)
        offered = await handoff.suggestions(store, period)
    if args.json:
        print(tables.as_json({"period": period, "stats": figures, "suggestions": offered}))
        return 0
    print(tables.render_handoff(figures))
    for s in offered:
        print(f"\n#{s.id} {s.ts[:16]} ticket #{s.ticket} ({s.lang}, {s.region or '-'})"
              f"\n  Q: {s.question}\n  A: {s.answer}")
    return 0


@_guard
async def _export(args: argparse.Namespace) -> int:
    period = _period(args)
    async with _opened(args) as store:
        if args.output:
            try:
                out = open(args.output, "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as exc:  # no such folder, not writable, a directory
                _say(args, "cannot_write", path=args.output, error=_reason(exc))
                return 1
            with out:
                n = await export.export(store, period, args.format, out)
            _say(args, "exported", count=n, path=args.output)
        else:
            await export.export(store, period, args.format, sys.stdout)
            sys.stdout.flush()
    return 0


@_guard
async def _suggest(args: argparse.Namespace) -> int:
    period = _period(args)
    faq_dir = _faq_dir(args)
    kb = _kb(args, quiet=True)
    try:
        path = faq_edit.find_entry_file(faq_dir, args.entry)
    except faq_edit.EditError:
        _say(args, "entry_not_found", entry=args.entry)
        return 1
    norm = Normalizer(kb.synonyms, kb.fillers) if kb else None
    async with _opened(args) as store:
        report = await clusters.unanswered(store, period, limit=0, similarity=args.similarity,
                                         normalizer=norm)
    group = clusters.find_group(report, args.group)
    if group is None:
        _say(args, "group_not_found", group=args.group)
        return 1
    existing: list[str] = []
    if kb and args.entry in kb.by_id:
        existing = [q for qs in kb.entry(args.entry).questions.values() for q in qs]
    adds = clusters.phrasings(group, limit=args.max, existing=existing, normalizer=norm)
    if not adds:
        _say(args, "nothing_to_add", entry=args.entry)
        return 1
    text = faq_edit.snippet(args.entry, adds, path.name)
    if args.json and not args.apply:
        print(tables.as_json({"group": group, "entry": args.entry, "file": str(path),
                              "phrasings": adds, "yaml": text}))
        return 0
    if not args.apply:
        print(text, end="")
        _say(args, "apply_hint", file=path)
        return 0
    try:
        result = faq_edit.apply(faq_dir, args.entry, adds, normalize=norm)
    except faq_edit.EditError as exc:
        _say(args, "refused", reason=str(exc))
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    except OSError as exc:  # a read-only faq/ (the Docker image mounts it read-only)
        _say(args, "faq_not_writable", dir=faq_dir, error=_reason(exc))
        return 1
    count = sum(len(v) for v in result.added.values())
    if count == 0:
        _say(args, "nothing_to_add", entry=args.entry)
        return 1
    print(result.diff, end="")
    _say(args, "applied", stream=sys.stdout, count=count, entry=args.entry, file=result.file)
    return 0


# --------------------------------------------------------------------------- purge


def parse_age(text: str) -> dt.timedelta:
    """180d, 26w or 180 (days)."""
    m = _OLDER_THAN.match(text.strip().lower())
    if not m:
        raise periods.PeriodError(f"--older-than must look like 180d or 26w, got {text!r}")
    n = int(m.group(1))
    return dt.timedelta(weeks=n) if m.group(2) == "w" else dt.timedelta(days=n)


@_guard
async def _purge(args: argparse.Namespace) -> int:
    settings = _settings(args)
    age = parse_age(args.older_than) if args.older_than else dt.timedelta(
        days=settings.retention_days)
    cutoff = dt.datetime.now(dt.UTC) - age
    async with _opened(args, read_only=args.dry_run) as store:
        if args.dry_run:
            counts = {"queries": await store.count_older(cutoff)}
        else:
            counts = await store.purge(cutoff)
    when = cutoff.strftime("%Y-%m-%d %H:%M UTC")
    if args.json:
        print(tables.as_json({"cutoff": cutoff.isoformat(), "dry_run": args.dry_run,
                              "deleted" if not args.dry_run else "older": counts}))
    elif args.dry_run:
        _say(args, "purge_dry_run", stream=sys.stdout, queries=counts["queries"], cutoff=when)
    else:
        _say(args, "purged", stream=sys.stdout, cutoff=when, **counts)
    return 0
