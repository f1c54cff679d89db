"""`check-faq`'s near-duplicate check on synthetic FAQs of 1,000 and 5,000 entries (for
`python -m bot bench`). Figures, not assertions."""

from __future__ import annotations

import dataclasses
import random
import time

from bot.core.check import overlaps
from bot.core.kb import Entry, KnowledgeBase

SIZES = (1_000, 5_000)


def synthetic_faq(kb: KnowledgeBase, size: int, seed: int = 11) -> KnowledgeBase:
    """`size` entries: the real ones and copies with a third of their characters replaced
    (the real vocabulary, so n-grams are as common as in a grown FAQ)."""
    rng = random.Random(seed)
    chars = sorted({c for e in kb.entries for qs in e.questions.values() for q in qs for c in q})
    entries: list[Entry] = list(kb.entries)
    while len(entries) < size:
        base = kb.entries[len(entries) % len(kb.entries)]

        def perturb(text: str) -> str:
            cs = list(text)
            for _ in range(max(2, len(cs) // 3)):
                cs[rng.randrange(len(cs))] = rng.choice(chars)
            return "".join(cs)

        questions = {lang: tuple(perturb(q) for q in qs) for lang, qs in base.questions.items()}
        entries.append(dataclasses.replace(base, id=f"synthetic-{len(entries)}",
                                           questions=questions))
    return dataclasses.replace(kb, entries=tuple(entries), by_id={e.id: e for e in entries})


def print_overlap_check(kb: KnowledgeBase) -> None:
    """One line per size: entries, phrasings, seconds, warnings."""
    for size in SIZES:
        big = synthetic_faq(kb, size)
        phrasings = sum(len(qs) for e in big.entries for qs in e.questions.values())
        t0 = time.perf_counter()
        found = overlaps(big)
        seconds = time.perf_counter() - t0
        print(f"check-faq near-duplicate check: {size} entries ({phrasings} phrasings) "
              f"in {seconds:.1f} s, {len(found)} warnings")
