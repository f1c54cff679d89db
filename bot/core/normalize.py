"""Text normalization shared by the matcher, the overlap check and the query log.

Pure: a `Normalizer` is compiled once from the synonyms file and then called per question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

import zhconv

# Telegram allows 4096 characters; matching looks at a bounded prefix so that a pasted
# novel costs the same as a question.
MAX_MATCH_CHARS = 512

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Everything that is not a letter, digit or CJK ideograph separates words.
_SEPARATORS = re.compile(rf"[^0-9a-z{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_LATIN_WORD = re.compile(r"[0-9a-z]+")
# A Latin acronym with a plural s (DRGs, DIPs, APPs) means the acronym: fold it before
# lower-casing erases the difference between an acronym's s and a word's (drugs, tips).
_ACRONYM_PLURAL = re.compile(r"(?<![A-Za-z])([A-Z]{2,})s(?![A-Za-z])")


def _to_simplified(text: str) -> str:
    # zhconv is slow on long pure-ASCII strings for no gain; skip them.
    if text.isascii():
        return text
    return zhconv.convert(text, "zh-cn")


class Normalizer:
    """Folds width, script (traditional to simplified), case, punctuation, fillers, synonyms."""

    def __init__(self, synonyms: Mapping[str, Iterable[str]], fillers: Iterable[str]) -> None:
        mapping: dict[str, str] = {}
        for canonical, variants in synonyms.items():
            canon = self._fold(canonical)
            mapping[canon] = canon  # so a canonical word is never re-written by a shorter variant
            for v in variants:
                mapping.setdefault(self._fold(v), canon)
        self._canon = mapping
        self._synonym_re = self._alternation(mapping)
        folded_fillers = [self._fold(f) for f in fillers]
        self._filler_re = self._alternation(f for f in folded_fillers if len(f) > 1)
        # A one-character particle (啊, 呢, 哈…) is a filler only where a clause ends: inside
        # a word it is content (哈密, 酒吧).
        singles = sorted({f for f in folded_fillers if len(f) == 1})
        self._particle_re = (
            re.compile("[" + re.escape("".join(singles)) + "]+(?= |$)") if singles else None
        )

    @staticmethod
    def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
        items = sorted({w for w in words if w}, key=len, reverse=True)
        if not items:
            return None
        # Latin words must match whole words; CJK has no word boundaries to respect.
        parts = [
            rf"(?<![0-9a-z]){re.escape(w)}(?![0-9a-z])" if w.isascii() else re.escape(w)
            for w in items
        ]
        return re.compile("|".join(parts))

    @staticmethod
    def _fold(text: str) -> str:
        text = unicodedata.normalize("NFKC", text[:MAX_MATCH_CHARS])
        text = _ACRONYM_PLURAL.sub(r"\1", text)
        text = _to_simplified(text).lower()
        return _SEPARATORS.sub(" ", text).strip()

    def __call__(self, text: str) -> str:
        """The matching form of `text`: may be empty when nothing meaningful is left."""
        folded = self._fold(text)
        if self._filler_re is not None:
            folded = self._filler_re.sub(" ", folded)
        if self._particle_re is not None:
            folded = self._particle_re.sub(" ", folded)
        if self._synonym_re is not None:
            folded = self._synonym_re.sub(lambda m: self._canon[m.group(0)], folded)
        # Spaces matter only between Latin words; CJK runs are joined.
        return " ".join(folded.split())


def tokens(normalized: str) -> list[str]:
    """Character unigrams and bigrams of CJK runs, plus whole Latin words.

    Chinese has no spaces; character n-grams need no dictionary (fast start-up) and are
    robust to the typos and word-order changes of typed questions.
    """
    out: list[str] = []
    for run in _CJK_RUN.findall(normalized):
        out.extend(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    out.extend(w for w in _LATIN_WORD.findall(normalized) if len(w) > 1 or w.isdigit())
    return out
