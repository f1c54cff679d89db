"""Answer, clarify or fall back: the one small decision between matcher and reply.

Modelled on Rasa's FallbackClassifier: answer only when the best entry is both strong
and clearly ahead of the runner-up, because a wrong answer costs a resident money while
a clarifying question costs one tap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core.matcher import Scored

Status = Literal["answer", "clarify", "fallback"]


@dataclass(frozen=True)
class Thresholds:
    """Named, documented thresholds on the combined 0-100 score (see `eval --sweep`).

    Chosen on the dev set for a wrong-answer rate near 1% with no out-of-scope question
    answered, then rounded up a little: the held-out set is harder than the one we tune on.
    """

    # The best entry must reach this to be answered outright.
    answer: float = 36.0
    # ...and lead the runner-up by this much; closer than that, the user picks.
    margin: float = 3.0
    # Below this nothing is offered at all: the question is out of scope.
    clarify: float = 27.0
    # How many suggestions a clarify (or a region-mismatch fallback) offers.
    max_suggestions: int = 3


DEFAULT_THRESHOLDS = Thresholds()


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
    if best.score >= t.answer and best.score - runner_up >= t.margin:
        return Decision("answer", best, ())
    close = tuple(s for s in ranked if s.score >= t.clarify)[: t.max_suggestions]
    return Decision("clarify", best, close)
