"""`check-faq`: validate the FAQ the way the bot loads it, and summarise it."""

from __future__ import annotations

import argparse
import sys

from bot.core.check import overlaps, summary
from bot.core.i18n import Locales
from bot.core.kb import FaqError, load_kb
from bot.settings import Settings


def check_faq(args: argparse.Namespace, settings: Settings) -> int:
    directory = args.directory or args.faq_dir
    loc = Locales.load(settings.locales_dir)
    lang = args.lang
    try:
        kb = load_kb(directory)
    except FaqError as exc:
        n = len(exc.problems)
        key = "cli.faq_invalid_one" if n == 1 else "cli.faq_invalid_many"
        print(loc.t(lang, key, directory=directory, count=n), file=sys.stderr)
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print(summary(kb))
    found = overlaps(kb)
    for o in found:
        print(loc.t(lang, "cli.faq_overlap", score=f"{o.score:.0f}",
                    entry_a=o.entry_a, where_a=o.where_a, phrasing_a=repr(o.phrasing_a),
                    entry_b=o.entry_b, where_b=o.where_b, phrasing_b=repr(o.phrasing_b)))
    if not found:
        print(loc.t(lang, "cli.faq_ok", directory=directory))
    elif len(found) == 1:
        print(loc.t(lang, "cli.faq_ok_warning_one", directory=directory))
    else:
        print(loc.t(lang, "cli.faq_ok_warnings_many", directory=directory, count=len(found)))
    return 0
