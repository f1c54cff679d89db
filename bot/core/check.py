"""`check-faq`: validate the FAQ, summarise it, and warn about overlapping phrasings.

Pure. Overlap is the commonest cause of misroutes as a FAQ grows: two entries whose
phrasings read the same after normalization compete for the same questions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.kb import KnowledgeBase
from bot.core.normalize import Normalizer

# Two phrasings of different entries scoring at least this (rapidfuzz ratio on the
# normalized text) are near-duplicates.
OVERLAP_THRESHOLD = 90.0


@dataclass(frozen=True)
class Overlap:
    entry_a: str
    phrasing_a: str
    entry_b: str
    phrasing_b: str
    score: float

    def __str__(self) -> str:
        return (
            f"near-duplicate phrasings ({self.score:.0f}): "
            f"'{self.entry_a}': {self.phrasing_a!r} ~ '{self.entry_b}': {self.phrasing_b!r}"
        )


def overlaps(kb: KnowledgeBase, threshold: float = OVERLAP_THRESHOLD) -> list[Overlap]:
    """Pairs of phrasings from different entries that are near-duplicates after normalization."""
    norm = Normalizer(kb.synonyms, kb.fillers)
    rows: list[tuple[str, str, str]] = []  # (entry id, phrasing, normalized)
    for e in kb.entries:
        for qs in e.questions.values():
            rows.extend((e.id, q, norm(q)) for q in qs)
    texts = [r[2] for r in rows]
    found: dict[tuple[str, str], Overlap] = {}
    for i, a in enumerate(rows):
        # extract (not cdist) keeps numpy out of the dependencies.
        hits = process.extract(
            a[2], texts, scorer=fuzz.ratio, processor=None, score_cutoff=threshold, limit=None
        )
        for _, score, j in hits:
            b = rows[j]
            if j <= i or a[0] == b[0]:
                continue
            key = (min(a[0], b[0]), max(a[0], b[0]))
            if key not in found or score > found[key].score:
                found[key] = Overlap(a[0], a[1], b[0], b[1], float(score))
    return sorted(found.values(), key=lambda o: -o.score)


def summary(kb: KnowledgeBase) -> str:
    """Entries per topic, region and source, as a short report."""
    lines = [f"{len(kb.entries)} entries, {len(kb.topics)} topics, {len(kb.sources)} sources"]
    per_topic = Counter(e.topic for e in kb.entries)
    per_region = Counter(v.region for e in kb.entries for v in e.variants)
    per_source = Counter(v.source for e in kb.entries for v in e.variants)
    phrasings = sum(len(qs) for e in kb.entries for qs in e.questions.values())
    lines.append(f"{phrasings} phrasings")
    for title, counter in (("topic", per_topic), ("region", per_region), ("source", per_source)):
        lines.append(f"by {title}:")
        lines.extend(f"  {k:<22} {n:>4}" for k, n in counter.most_common())
    return "\n".join(lines)
