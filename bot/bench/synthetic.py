"""Synthetic FAQs for the benchmarks: the real entries plus perturbed copies of them."""

from __future__ import annotations

import dataclasses
import random

from bot.core.kb import Entry, KnowledgeBase


def scaled_kb(kb: KnowledgeBase, size: int, seed: int = 7) -> KnowledgeBase:
    """A synthetic KB of `size` entries: the real ones plus perturbed copies of them.

    Copies keep the real vocabulary (so the index's posting lists grow as they would)
    with characters shuffled and swapped, so they are distinct entries, not duplicates.
    """
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
        entries.append(
            dataclasses.replace(base, id=f"synthetic-{len(entries)}", questions=questions)
        )
    return dataclasses.replace(kb, entries=tuple(entries), by_id={e.id: e for e in entries})
