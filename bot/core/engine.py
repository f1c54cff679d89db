"""The answer engine: question in, `Result` out. Created once, shared by every front end.

Pure: no telegram, no aiosqlite, no I/O after construction. A front end that wants to
reload the FAQ builds a new Engine and swaps the reference; a question in flight keeps
the engine it started with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from bot.core.decision import DEFAULT_THRESHOLDS, Status, Thresholds, decide
from bot.core.kb import Entry, KnowledgeBase, Variant, load_kb
from bot.core.matcher import Index, Scored
from bot.core.normalize import Normalizer
from bot.core.regions import Mention, RegionFinder, variants_for

# An answer from a report older than this carries a caution that the policy may have changed.
STALE_AFTER_DAYS = 2 * 365

Reason = Literal[
    "matched",  # answer: one entry, clearly
    "ambiguous",  # clarify: several entries close together or a middling score
    "no_match",  # fallback: nothing fits
    "empty",  # fallback: no words left after normalization (emoji, punctuation, blank)
    "region_not_covered",  # fallback: it fits an entry, but not for the place asked about
]
Lang = Literal["zh", "en"]


@dataclass(frozen=True)
class Suggestion:
    entry_id: str
    score: float
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class Result:
    question: str
    normalized: str
    lang: Lang
    status: Status
    reason: Reason
    score: float
    entry_id: str | None = None
    topic: str | None = None
    # The variants shown, innermost region first (several when no region narrows it).
    variants: tuple[Variant, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    # The place the question named, if any, and whether the answer is not specific to the
    # user's preferred region (shown as a note, never silently).
    mention: Mention | None = None
    preferred_region: str | None = None
    other_region: bool = False
    stale: bool = False


def as_of_date(as_of: str) -> dt.date:
    """The last day a YYYY / YYYY-MM / YYYY-MM-DD date can mean (so staleness is never early)."""
    parts = [int(p) for p in as_of.split("-")]
    if len(parts) == 3:
        return dt.date(parts[0], parts[1], parts[2])
    if len(parts) == 2:
        nxt = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    return dt.date(parts[0], 12, 31)


def is_stale(as_of: str, today: dt.date) -> bool:
    return (today - as_of_date(as_of)).days > STALE_AFTER_DAYS


class Engine:
    """Knowledge base + normalizer + index + thresholds, built once."""

    def __init__(
        self,
        kb: KnowledgeBase,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        today: dt.date | None = None,
    ) -> None:
        self.kb = kb
        self.thresholds = thresholds
        self._today = today
        self.normalizer = Normalizer(kb.synonyms, kb.fillers)
        self.regions = RegionFinder(kb, self.normalizer)

        # Place names are stripped from phrasings and questions alike: where a fact holds
        # is decided by the variants, not by whether a phrasing happened to name a city.
        def prepare(text: str) -> str:
            return self.regions.strip(self.normalizer(text))

        self.index = Index(kb, prepare)

    @classmethod
    def from_dir(cls, directory: str | Path, **kwargs: object) -> Engine:
        return cls(load_kb(directory), **kwargs)  # type: ignore[arg-type]

    @property
    def today(self) -> dt.date:
        return self._today or dt.date.today()

    def rank(self, question: str) -> tuple[str, Mention | None, list[Scored]]:
        """Normalized text, the place named and the ranked entries (for eval and review)."""
        normalized = self.normalizer(question)
        mention = self.regions.find(normalized)
        return normalized, mention, self.index.rank(self.regions.strip(normalized))

    def ask(self, question: str, lang: str = "zh", region: str | None = None) -> Result:
        """Answer one question. `region` is the user's preferred region id, if any."""
        lang_: Lang = "en" if lang == "en" else "zh"
        preferred = region if region in self.kb.regions else None
        normalized, mention, ranked = self.rank(question)
        # Every outcome shares these fields; each branch fills in the rest.
        base = Result(
            question=question,
            normalized=normalized,
            lang=lang_,
            status="fallback",
            reason="empty" if not normalized else "no_match",
            score=0.0,
            mention=mention,
            preferred_region=preferred,
        )
        if not ranked:
            return base
        decision = decide(ranked, self.thresholds)
        top = ranked[0].score
        if decision.status == "fallback":
            return replace(base, reason="no_match", score=top)

        scope = mention.scope if mention else None
        # Only a covered region named outright is answered by what holds in its parts.
        include_parts = mention.covered if mention else True

        def holds_here(s: Scored) -> bool:
            if mention is None:
                return True
            # An uncovered place outside every covered region (北京) holds nothing at all.
            entry = self.kb.entry(s.entry_id)
            return scope is not None and bool(
                variants_for(self.kb, entry, scope, parts=include_parts)
            )

        candidates = decision.suggestions or ((decision.best,) if decision.best else ())
        if not any(holds_here(s) for s in candidates):
            # It fits an entry, but not for the place asked about: say so, and offer what
            # the reports have for other regions, under those regions' names.
            offered = tuple(self._suggestion(s, None) for s in candidates)
            return replace(base, reason="region_not_covered", score=top, suggestions=offered)

        if decision.status == "answer" and decision.best is not None:
            entry = self.kb.entry(decision.best.entry_id)
            shown, other = self._pick_variants(entry, scope, preferred, include_parts)
            return replace(
                base,
                status="answer",
                reason="matched",
                score=decision.best.score,
                entry_id=entry.id,
                topic=entry.topic,
                variants=shown,
                other_region=other,
                stale=any(is_stale(v.as_of, self.today) for v in shown),
            )
        suggestions = tuple(
            self._suggestion(s, scope or preferred) for s in decision.suggestions if holds_here(s)
        )
        return replace(
            base, status="clarify", reason="ambiguous", score=top, suggestions=suggestions
        )

    def answer_entry(self, entry_id: str, lang: str = "zh", region: str | None = None) -> Result:
        """The answer to one entry, as when a user taps a suggestion or browses topics."""
        entry = self.kb.entry(entry_id)
        lang_: Lang = "en" if lang == "en" else "zh"
        preferred = region if region in self.kb.regions else None
        shown, other = self._pick_variants(entry, None, preferred)
        return Result(
            question=entry.question(lang_),
            normalized=self.normalizer(entry.question(lang_)),
            lang=lang_,
            status="answer",
            reason="matched",
            score=100.0,
            entry_id=entry.id,
            topic=entry.topic,
            variants=shown,
            preferred_region=preferred,
            other_region=other,
            stale=any(is_stale(v.as_of, self.today) for v in shown),
        )

    def related(self, entry_id: str, limit: int = 3) -> tuple[Entry, ...]:
        """Entries a reader of `entry_id` may want next: the closest ones in its topic."""
        entry = self.kb.entry(entry_id)
        ranked = self.index.rank(self.index.normalizer(" ".join(entry.questions["zh"])), limit=20)
        out = [self.kb.entry(s.entry_id) for s in ranked if s.entry_id != entry_id]
        same_topic = [e for e in out if e.topic == entry.topic]
        return tuple((same_topic + [e for e in out if e.topic != entry.topic])[:limit])

    def _pick_variants(
        self, entry: Entry, scope: str | None, preferred: str | None, parts: bool = True
    ) -> tuple[tuple[Variant, ...], bool]:
        if scope is not None:
            return variants_for(self.kb, entry, scope, parts=parts), False
        if preferred is not None:
            held = variants_for(self.kb, entry, preferred)
            if held:
                return held, False
            # Nothing for the user's region: show what the reports have, flagged as such.
            return entry.variants, True
        return entry.variants, False

    def _suggestion(self, s: Scored, region: str | None) -> Suggestion:
        entry = self.kb.entry(s.entry_id)
        held = variants_for(self.kb, entry, region) if region else ()
        return Suggestion(entry.id, s.score, held or entry.variants)
