"""Answer, clarify or fall back: the one small decision between matcher and reply.

Modelled on Rasa's FallbackClassifier: answer only when the best entry is both strong
and clearly ahead of the runner-up, because a wrong answer costs a resident money while
a clarifying question costs one tap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Literal

Status = Literal["answer", "clarify", "fallback"]


@dataclass(frozen=True)
class Scored:
    """One candidate entry with its calibrated confidence (0-100) and the evidence behind it."""

    entry_id: str
    score: float  # 0..100: the model's probability that this entry is the one asked, x100
    cosine: float = 0.0  # 0..100, entry-level n-gram cosine
    phrasing: float = 0.0  # 0..100, best phrasing-level n-gram cosine
    fuzzy: float = 0.0  # 0..100, best rapidfuzz ratio against one phrasing
    bm25: float = 0.0  # 0..100, word BM25 against what the question could score
    coverage: float = 0.0  # 0..100, share of the question's words the entry uses
    # The model's inputs, kept for `eval --fit`.
    features: tuple[float, ...] = field(default=(), compare=False, repr=False)
    # First-pass lead (0..1) over the best rival that could be answered instead.
    lead: float = field(default=1.0, compare=False, repr=False)
    # The question asks a narrower thing (a refund, a complaint, whether insurance pays…)
    # that none of the entry's phrasings asks (asks.py): offered, never answered outright.
    unmet: bool = field(default=False, compare=False, repr=False)


@dataclass(frozen=True)
class Thresholds:
    """Named thresholds on the calibrated 0-100 confidence (see `eval --sweep`).

    The shipped values are chosen by cross-validation in `eval --fit` and stored with the
    model's weights (confidence.json); these defaults are only the fallback for a model
    file without them.
    """

    # The best entry must reach this to be answered outright.
    answer: float = 60.0
    # ...and lead the runner-up by this much; closer than that, the user picks.
    margin: float = 10.0
    # Below this nothing is offered at all: the question is out of scope.
    clarify: float = 20.0
    # How many suggestions a clarify (or a region-mismatch fallback) offers.
    max_suggestions: int = 3
    # First-pass lead (0..1) over the runner-up below which two entries are a tie whatever
    # the model says: near-identical phrasings (住院/门诊能直接结算吗) are for the user to pick.
    min_lead: float = 0.02

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> Thresholds:
        known = {f.name for f in fields(cls)} - {"max_suggestions"}
        d = DEFAULT_THRESHOLDS_VALUES | {k: float(v) for k, v in values.items() if k in known}
        return cls(answer=d["answer"], margin=d["margin"], clarify=d["clarify"])


DEFAULT_THRESHOLDS = Thresholds()
DEFAULT_THRESHOLDS_VALUES = {
    "answer": DEFAULT_THRESHOLDS.answer,
    "margin": DEFAULT_THRESHOLDS.margin,
    "clarify": DEFAULT_THRESHOLDS.clarify,
}


@dataclass(frozen=True)
class Decision:
    status: Status
    best: Scored | None
    suggestions: tuple[Scored, ...]


def decide(ranked: Sequence[Scored], t: Thresholds = DEFAULT_THRESHOLDS) -> Decision:
    """Turn a ranking (best first) into answer / clarify / fallback."""
    if not ranked or ranked[0].score < t.clarify:
        return Decision("fallback", None, ())
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    if (best.score >= t.answer and best.score - runner_up >= t.margin
            and best.lead >= t.min_lead and not best.unmet):
        return Decision("answer", best, ())
    close = tuple(s for s in ranked if s.score >= t.clarify)[: t.max_suggestions]
    return Decision("clarify", best, close)
