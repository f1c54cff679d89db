"""`check-faq`: validate the FAQ, summarise it, and warn about overlapping phrasings.

Pure. Overlap is the commonest cause of misroutes as a FAQ grows: two entries whose
phrasings read the same after normalization compete for the same questions.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import chain
from operator import add, itemgetter

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
    # Where each phrasing is, so the admin can go straight to it.
    file_a: str = ""
    line_a: int | None = None
    file_b: str = ""
    line_b: int | None = None

    @property
    def where_a(self) -> str:
        return self.file_a + (f":{self.line_a}" if self.line_a else "")

    @property
    def where_b(self) -> str:
        return self.file_b + (f":{self.line_b}" if self.line_b else "")


@dataclass(frozen=True)
class _Row:
    entry: str
    phrasing: str
    text: str  # normalized
    file: str
    line: int | None


# Bigrams: the shortest n-gram that still tells Chinese phrasings apart (`_grams` builds
# them as pairs of characters).
_Q = 2


def _grams(text: str) -> list[str]:
    """The bigrams of `text` as a set: the k-th repeat of a bigram is its own token, so set
    overlap counts common bigrams with multiplicity."""
    grams = list(map(add, text, text[1:]))  # bigrams, built in C
    if len(set(grams)) == len(grams):
        return grams
    seen: Counter[str] = Counter()
    out = []
    for g in grams:
        out.append(g if not seen[g] else f"{g}\0{seen[g]}")
        seen[g] += 1
    return out


def _min_common(length: int, threshold: float) -> int:
    """A lower bound on the bigrams a phrasing of `length` shares with any phrasing it is a
    near-duplicate of (0: no bound; such short phrasings are compared with each other
    directly).

    ratio = 100 * (1 - d / (la + lb)) with d the insertions and deletions between them, so
    a near-duplicate has d <= (1 - t) * (la + lb) and lb <= la * (1 + (1 - t)) / t. Each
    insertion or deletion breaks at most _Q bigrams, so at least la - _Q + 1 - _Q * d
    bigrams survive (the q-gram lemma). One is taken off for float rounding.
    """
    t = threshold / 100
    longest = length * (2 - t) / t
    d = math.floor((1 - t) * (length + longest) + 1e-9)
    return max(0, length - _Q + 1 - _Q * d - 1)


def overlaps(kb: KnowledgeBase, threshold: float = OVERLAP_THRESHOLD) -> list[Overlap]:
    """Pairs of phrasings from different entries that are near-duplicates after normalization.

    Sub-quadratic: the phrasings' bigrams are indexed once, and a phrasing is compared only
    with those sharing one of its rarest bigrams (prefix filtering: two phrasings with at
    least T bigrams in common share one among the first n - T + 1 of each, in one global
    order, rarest first). The bound T is exact (see `_min_common`), so the pairs found are
    exactly those a comparison of every pair finds.
    """
    norm = Normalizer(kb.synonyms, kb.fillers)
    found_in: list[tuple[str, str, str, int | None]] = []  # entry, phrasing, file, line
    # A known out-of-scope topic that nearly repeats an entry's phrasing would take that
    # entry's questions away: it is checked like an entry.
    for e in (*kb.entries, *kb.declines):
        for lang, qs in e.questions.items():
            found_in.extend((e.id, q, e.file, e.phrasing_line(lang, i)) for i, q in enumerate(qs))
    texts = norm.many([q for _, q, _, _ in found_in])  # in one batch: thousands at once
    rows = [_Row(eid, q, text, file, line)
            for (eid, q, file, line), text in zip(found_in, texts, strict=True)]
    first_of_entry = [0] * len(rows)  # index of the first row of each row's entry
    for i in range(1, len(rows)):
        same = rows[i].entry == rows[i - 1].entry
        first_of_entry[i] = first_of_entry[i - 1] if same else i
    grams = [_grams(t) for t in texts]
    freq: Counter[str] = Counter(chain.from_iterable(grams))
    # One global order, rarest first (ties by the token, so every phrasing agrees).
    order = sorted(freq)
    order.sort(key=freq.__getitem__)  # stable: ties stay in token order
    rank = dict(zip(order, range(len(order)), strict=True))
    index: dict[str, list[int]] = defaultdict(list)
    unbounded: list[int] = []  # too short for the bound: compared with each other directly
    hits: list[tuple[int, float, int]] = []  # (earlier row, score, later row)
    for i, gs in enumerate(grams):
        # Probe with this phrasing's rarest bigrams, then index them: each pair is met once,
        # from its later phrasing, and only candidates are ever scored.
        need = _min_common(len(texts[i]), threshold)
        ordered = sorted(gs, key=rank.__getitem__)
        prefix = ordered if need == 0 else ordered[: len(ordered) - need + 1]
        earlier: set[int] = set().union(*(index[g] for g in prefix))
        if need == 0:
            earlier.update(unbounded)
            unbounded.append(i)
        for g in prefix:
            index[g].append(i)
        # Phrasings of the same entry are its own and never a warning: they come right
        # before it, so drop them as one range instead of scoring them.
        earlier.difference_update(range(first_of_entry[i], i))
        if not earlier:
            continue
        cands = list(earlier)
        # Scoring runs in rapidfuzz's C loop; only the few hits come back to Python.
        choices = [texts[cands[0]]] if len(cands) == 1 else itemgetter(*cands)(texts)
        for _, score, k in process.extract(texts[i], choices, scorer=fuzz.ratio, processor=None,
                                           score_cutoff=threshold, limit=None):
            hits.append((cands[k], score, i))

    found: dict[tuple[str, str], Overlap] = {}
    # In FAQ order, best first for each phrasing: the pair kept for two entries is the best
    # one, the first in the FAQ on a tie (as comparing every pair in order would keep).
    for j, score, i in sorted(hits, key=lambda h: (h[0], -h[1], h[2])):
        a, b = rows[j], rows[i]
        if a.entry == b.entry:
            continue
        key = (min(a.entry, b.entry), max(a.entry, b.entry))
        if key not in found or score > found[key].score:
            found[key] = Overlap(a.entry, a.phrasing, b.entry, b.phrasing, float(score),
                                 a.file, a.line, b.file, b.line)
    return sorted(found.values(), key=lambda o: -o.score)


def summary(kb: KnowledgeBase) -> str:
    """Entries per topic, region and source, as a short report."""
    lines = [f"{len(kb.entries)} entries, {len(kb.topics)} topics, {len(kb.sources)} sources"]
    per_topic = Counter(e.topic for e in kb.entries)
    per_region = Counter(v.region for e in kb.entries for v in e.variants)
    per_source = Counter(v.source for e in kb.entries for v in e.variants)
    phrasings = sum(len(qs) for e in kb.entries for qs in e.questions.values())
    lines.append(f"{phrasings} phrasings")
    if kb.declines:
        lines.append(f"{len(kb.declines)} known out-of-scope topics (never answered)")
    for title, counter in (("topic", per_topic), ("region", per_region), ("source", per_source)):
        lines.append(f"by {title}:")
        lines.extend(f"  {k:<22} {n:>4}" for k, n in counter.most_common())
    return "\n".join(lines)
