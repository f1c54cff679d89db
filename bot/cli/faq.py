"""`check-faq`: validate the FAQ the way the bot loads it, and summarise it."""

from __future__ import annotations

import argparse
import sys

from bot.core.check import overlaps, summary
from bot.core.kb import FaqError, load_kb
from bot.settings import Settings


def check_faq(args: argparse.Namespace, settings: Settings) -> int:
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
