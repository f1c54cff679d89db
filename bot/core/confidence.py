"""One calibrated confidence per candidate entry, from the matcher's evidence.

A logistic regression, fitted by `python -m bot eval --fit` on labelled questions and
stored as data (confidence.json beside this file). Inference is a dot product: no
numerical library at run time. The probability it gives is "this entry is the one the
question asks", which the decision (decision.py) compares with named thresholds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from operator import mul
from typing import Any

from bot.core.matcher import Evidence

FEATURES = (
    "cosine",  # entry-level n-gram cosine
    "phrasing",  # best phrasing n-gram cosine
    "fuzzy",  # best rapidfuzz ratio
    "bm25",  # word BM25, normalized
    "coverage",  # share of the question's words the entry uses
    "margin",  # first-pass score minus the best other candidate's
    "region_holds",  # the question names a place and the entry has an answer for it
    "region_lacks",  # the question names a place and the entry has none for it
    "length",  # log of the question's content-word count
    "clause",  # evidence from one clause of a longer question, not the whole
    "whole_coverage",  # share of the whole question's words the entry uses
    "prescore",  # the first-pass score itself
    "said",  # share of the question's words the answer shown (for the place named) uses
    "decline",  # the closest known out-of-scope topic's first-pass score minus this one's
    "asks",  # whether the entry's phrasings ask what the question asks (how, when, who…)
    "unmet",  # the question asks a narrower thing (refund, complaint…) the entry never does
)
MODEL_FILE = "confidence.json"


def features(
    ev: Evidence,
    runner_up: float,
    region: bool | None,
    n_words: int,
    clause: bool = False,
    whole_coverage: float | None = None,
    said: float = 0.0,
    decline: float = 0.0,
    asks: float = 0.5,
    unmet: float = 0.0,
) -> tuple[float, ...]:
    """The model's inputs; `runner_up` is the best first-pass score among the other
    entries, `region` whether the named place has an answer (None: no place named),
    `decline` the best first-pass score of a known out-of-scope topic (0: none close)."""
    return (
        ev.cosine,
        ev.phrasing,
        ev.fuzzy,
        ev.bm25,
        ev.coverage,
        ev.prescore - runner_up,
        1.0 if region is True else 0.0,
        1.0 if region is False else 0.0,
        math.log1p(n_words),
        1.0 if clause else 0.0,
        ev.coverage if whole_coverage is None else whole_coverage,
        ev.prescore,
        said,
        decline - ev.prescore,
        asks,
        unmet,
    )


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class Model:
    weights: tuple[float, ...]
    intercept: float
    # The thresholds chosen by cross-validation along with the weights (decision.py).
    thresholds: Mapping[str, float]

    def __call__(self, x: Sequence[float]) -> float:
        if len(x) != len(self.weights):
            raise ValueError(f"{len(x)} features for {len(self.weights)} weights")
        # The same products summed in the same order as a generator would, without one.
        return _sigmoid(self.intercept + sum(map(mul, self.weights, x)))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Model:
        names = tuple(raw["features"])
        if names != FEATURES:
            raise ValueError(f"model features {names} differ from the code's {FEATURES}")
        return cls(
            tuple(float(w) for w in raw["weights"]),
            float(raw["intercept"]),
            {k: float(v) for k, v in raw.get("thresholds", {}).items()},
        )


def load_model() -> Model:
    """The model shipped with the package."""
    text = resources.files("bot.core").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return Model.from_dict(json.loads(text))
