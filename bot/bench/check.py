"""`check-faq`'s near-duplicate check on synthetic FAQs of 1,000 and 5,000 entries (for
`python -m bot bench`). Figures, not assertions."""

from __future__ import annotations

import time

from bot.bench.synthetic import scaled_kb
from bot.core.check import overlaps
from bot.core.kb import KnowledgeBase

SIZES = (1_000, 5_000)


def print_overlap_check(kb: KnowledgeBase) -> None:
    """One line per size: entries, phrasings, seconds, warnings."""
    for size in SIZES:
        big = scaled_kb(kb, size, seed=11)
        phrasings = sum(len(qs) for e in big.entries for qs in e.questions.values())
        t0 = time.perf_counter()
        found = overlaps(big)
        seconds = time.perf_counter() - t0
        print(f"check-faq near-duplicate check: {size} entries ({phrasings} phrasings) "
              f"in {seconds:.1f} s, {len(found)} warnings")
