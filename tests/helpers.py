"""Shared test constants: where the FAQ, locales and source reports live, the JSON contract."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAQ_DIR = ROOT / "faq"
LOCALES_DIR = ROOT / "locales"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"
# The keys of one `ask --json` object: the contract other tools read.
JSON_KEYS = frozenset(
    {"question", "status", "reason", "entry_id", "score", "answer", "lang", "region", "source",
     "suggestions"}
)
# Fixed "today" so that staleness does not change under the tests' feet.
TODAY = dt.date(2026, 11, 25)
