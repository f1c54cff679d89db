"""Find which place a question is about, and pick the answer variant that holds for it.

Pure. Facts are local: an answer holds for a region and the regions inside it (a
Xinjiang-wide rule holds in Horgos), never for a sibling or an uncovered place.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import methodcaller

from bot.core.kb import Entry, KnowledgeBase, Variant
from bot.core.normalize import CJK_RUN, Normalizer, by_script, trie_pattern
from bot.core.words import pieces

# What comes before a place someone stays in (在成都住, study in Wuhan). Grammar, not
# vocabulary: the words around it (stay_markers) are the FAQ's data.
STAY_BEFORE = "在"
STAY_BEFORE_LATIN = " in"


def _normalized(normalizer: Normalizer, words: Sequence[str]) -> tuple[str, ...]:
    return tuple(filter(None, normalizer.many(words)))


@dataclass(frozen=True)
class Mention:
    """A place named in a question: a covered region, or a place the reports don't cover."""

    name: str  # as written (normalized)
    region: str | None  # covered region id, when the place is one
    parent: str | None  # for an uncovered place: the covered region it lies in, if any

    @property
    def covered(self) -> bool:
        return self.region is not None

    @property
    def scope(self) -> str | None:
        """The innermost covered region whose region-wide answers apply here."""
        return self.region or self.parent


class RegionFinder:
    """Compiled once per KB: one regex over every alias and uncovered place name."""

    def __init__(self, kb: KnowledgeBase, normalizer: Normalizer) -> None:
        self._kb = kb
        table: dict[str, Mention] = {}
        # Every name normalized in one batch (a thousand calls would be a tenth of a start).
        # (name, covered region, parent): places first, so that an alias wins a clash.
        named: list[tuple[str, str | None, str | None]] = [
            (p.name, None, p.parent) for p in kb.places
        ] + [
            (alias, region.id, None)
            for region in kb.regions.values()
            for alias in (*region.names.values(), *region.aliases)
        ]
        keys = normalizer.many([name for name, _, _ in named])
        for key, (_, region_id, parent) in zip(keys, named, strict=True):
            if key:
                table[key] = Mention(key, region_id, parent)
        self._table = table
        self._markers = _normalized(normalizer, kb.destination_markers)
        self._stays = _normalized(normalizer, kb.stay_markers)
        # 住在成都; English has only this order (study in Wuhan, a student in Wuhan).
        self._stays_before = tuple(
            w + (STAY_BEFORE_LATIN if w.isascii() else STAY_BEFORE) for w in self._stays
        )
        self._stay_topics = _normalized(normalizer, kb.stay_topics)
        self._suffixes = _normalized(normalizer, kb.place_suffixes)
        self._not_places = frozenset(_normalized(normalizer, kb.not_places))
        words = sorted(table, key=len, reverse=True)
        # Tries: matched against every phrasing of the FAQ at load.
        # Latin names whole words only: "hami" is no place inside "shamir".
        # By script: see `by_script`.
        self._res = tuple(re.compile(trie_pattern(g)) for g in by_script(words))

    def _matches(self, normalized: str) -> Iterator[re.Match[str]]:
        """Every place name in the text, in order (the tries' matches never overlap)."""
        found = map(methodcaller("finditer", normalized), self._res)
        return heapq.merge(*found, key=methodcaller("start"))

    def find(self, normalized: str) -> Mention | None:
        """The most specific place named: an uncovered place wins over a covered one."""
        found = [
            place
            for m in self._matches(normalized)
            if (place := self._table[m.group(0)]).covered
            or not self._is_destination(normalized, m.start(), m.end(), place)
        ]
        if not found:
            return self._unlisted(normalized)
        covered = [m for m in found if m.covered]
        if not covered:
            return found[0]
        # A resident names where they are insured; another place in the same question is
        # mostly a comparison or a model (昌吉是不是学的福建三明). Every answer is labelled
        # with its region, so a covered place deciding never passes figures off as another's.
        # Prefer the innermost covered region named (昌吉 over 新疆).
        return max(covered, key=lambda m: len(self._kb.ancestors(m.region)))

    def _unlisted(self, text: str) -> Mention | None:
        """A place the gazetteer lacks, known by how the segmenter's word for it ends
        (临泽县, 正镶白旗), when it is not where someone goes: the reports don't cover it
        either. Only a whole word: 送到 + 县 (医院) is no place."""
        if not self._suffixes or not any(sfx in text for sfx in self._suffixes):
            return None  # most questions: no segmenting
        for word in pieces(text):
            if len(word) < 3 or not word.endswith(self._suffixes) or word in self._not_places:
                continue
            start = text.find(word)
            place = Mention(word, None, None)
            if CJK_RUN.fullmatch(word) and not self._is_destination(
                text, start, start + len(word), place
            ):
                return place
        return None

    def _is_destination(self, text: str, start: int, end: int, place: Mention) -> bool:
        """Whether the place at text[start:end] is where someone goes (去海南), not home;
        or, in a question about treatment elsewhere, where they stay (在成都住). Not a
        place inside a covered region (在哈密住): living there, they are most likely
        insured there, and its region-wide answers are the ones that hold."""
        before = text[:start].rstrip()
        if before.endswith(self._markers):
            return True
        if place.parent is not None or not any(t in text for t in self._stay_topics):
            return False
        # 在成都住 or 住在成都 (study in Wuhan): the stay word after the place, or before
        # its 在.
        if before.endswith(self._stays_before):
            return True
        return before.endswith(STAY_BEFORE) and text[end:].lstrip().startswith(self._stays)

    def strip(self, normalized: str) -> str:
        """The question without place names, so that 乌海 doesn't weigh in matching."""
        if not self._res:
            return normalized
        return " ".join(self._sub(normalized).split())

    def _sub(self, text: str) -> str:
        """Every place name replaced by a space."""
        for pattern in self._res:
            text = pattern.sub(" ", text)
        return text

    def strip_many(self, normalized: Sequence[str]) -> list[str]:
        """`[self.strip(t) for t in normalized]` in one regex pass over them all, a newline
        apart: a normalized text has none, nor has any place name."""
        if not self._res or not normalized:
            return list(normalized)
        stripped = self._sub("\n".join(normalized)).split("\n")
        return [" ".join(t.split()) for t in stripped]


def variants_for(
    kb: KnowledgeBase, entry: Entry, region: str | None, *, parts: bool = True
) -> tuple[Variant, ...]:
    """The variants that hold for `region`: its own or an enclosing region's, innermost first;
    failing those and when `parts`, the variants of regions inside it. `parts` is off for
    an uncovered place (哈密): what holds in Changji does not hold in its sibling."""
    if region is None:
        return entry.variants
    chain = kb.ancestors(region)
    held = [v for v in entry.variants if v.region in chain]
    held.sort(key=lambda v: chain.index(v.region))
    if not held and parts:
        # A question about Xinjiang is answered by what holds in a part of it (Changji),
        # shown under that part's name.
        held = [v for v in entry.variants if region in kb.ancestors(v.region)[1:]]
    return tuple(held)
