"""The arguments of `python -m bot review …` and `python -m bot purge …`, registered into
the main CLI by `register(subparsers)`.

Every invocation builds the whole parser (so that `--help` lists every subcommand), but
the implementations (staff.py: the query store, aiosqlite, the reports) are imported
only when one of these subcommands is chosen: `ask` and `chat` never need them.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core.languages import DEFAULT_LANG, LANGUAGES
from bot.staff.defaults import DEFAULT_SIMILARITY


def _run(name: str) -> Callable[[argparse.Namespace], int]:
    """The subcommand's `func`: staff.py's coroutine `name`, imported when run."""

    def run(args: argparse.Namespace) -> int:
        from bot.cli import staff

        return asyncio.run(getattr(staff, name)(args))

    return run


def register(subparsers: Any) -> None:
    """Add `review <report>` and `purge` to the main parser."""
    p = subparsers.add_parser("review", help="staff reports on the query log")
    report_parsers = p.add_subparsers(dest="report", required=True, metavar="REPORT")

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--since", help="start: YYYY-MM-DD, ISO time, or age like 7d (default 30d)")
        q.add_argument("--until", help="end: YYYY-MM-DD (inclusive), ISO time, or age")
        q.add_argument("--all", dest="everything", action="store_true",
                       help="the whole log (no default --since)")
        q.add_argument("--json", action="store_true", help="machine-readable output")
        q.add_argument("--db", type=Path, help="query database (default BOT_DB_PATH)")
        q.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANG,
                       help="language of messages and FAQ questions shown")

    q = report_parsers.add_parser("unanswered",
                                  help="fallback/unresolved questions grouped by similarity")
    common(q)
    q.add_argument("--limit", type=int, default=20, help="groups to show (0: all)")
    q.add_argument("--similarity", type=float, default=DEFAULT_SIMILARITY,
                   help="0-100: how alike questions must be to group (default %(default)s)")
    q.add_argument("--examples", type=int, default=3, help="examples per group in the table")
    q.set_defaults(func=_run("_unanswered"))

    q = report_parsers.add_parser("feedback", help="entries voted unhelpful and what was asked")
    common(q)
    q.add_argument("--limit", type=int, default=20)
    q.set_defaults(func=_run("_feedback"))

    q = report_parsers.add_parser("top", help="most asked entries and topics")
    common(q)
    q.add_argument("--limit", type=int, default=20)
    q.set_defaults(func=_run("_top"))

    q = report_parsers.add_parser("stats", help="counts per day, status, topic, region, language")
    common(q)
    q.set_defaults(func=_run("_stats"))

    q = report_parsers.add_parser("handoff",
                                  help="human-handoff figures and staff answers for the FAQ")
    common(q)
    q.set_defaults(func=_run("_handoff"))

    q = report_parsers.add_parser("export", help="the masked log as CSV (Excel) or JSON lines")
    common(q)
    q.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    q.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    q.set_defaults(func=_run("_export"))

    q = report_parsers.add_parser("suggest",
                           help="YAML adding an unanswered group's questions to an entry")
    common(q)
    q.add_argument("group", help="group key (e.g. 3fa9c2) or rank (1, 2, …) from `unanswered`")
    q.add_argument("entry", help="the FAQ entry id the questions should find")
    q.add_argument("--apply", action="store_true",
                   help="write it into the entry's faq file (validated first)")
    q.add_argument("--max", type=int, default=10, help="most phrasings to add")
    q.add_argument("--similarity", type=float, default=DEFAULT_SIMILARITY)
    q.add_argument("--faq-dir", dest="staff_faq_dir", type=Path, metavar="DIR",
                   help="FAQ directory (default BOT_FAQ_DIR)")
    q.set_defaults(func=_run("_suggest"))

    p = subparsers.add_parser("purge", help="delete query-log rows older than the retention")
    p.add_argument("--older-than", dest="older_than",
                   help="age like 180d or 26w (default BOT_RETENTION_DAYS, 180d)")
    p.add_argument("--dry-run", action="store_true", help="count only, delete nothing")
    p.add_argument("--db", type=Path, help="query database (default BOT_DB_PATH)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANG)
    p.set_defaults(func=_run("_purge"))
