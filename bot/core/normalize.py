"""Text normalization shared by the matcher, the overlap check and the query log.

Pure: a `Normalizer` is compiled once from the synonyms file and then called per question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import repeat
from operator import add

from bot.core.script import to_simplified

# Telegram allows 4096 characters; matching looks at a bounded prefix so that a pasted
# novel costs the same as a question.
MAX_MATCH_CHARS = 512

# The CJK ideographs, as code point ranges (inclusive): a run of them is Chinese text.
CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_CJK = "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in CJK_RANGES)
# Everything that is not a letter, digit or CJK ideograph separates words. A newline is
# kept: it separates the texts of a batch (`Normalizer.many`); a text's own newlines are
# spaces by then.
_SEPARATORS = re.compile(rf"[^0-9a-z{_CJK}\n]+")
CJK_RUN = re.compile(rf"[{_CJK}]+")
_ANY_CJK = re.compile(rf"[{_CJK}]")
_LATIN_WORD = re.compile(r"[0-9a-z]+")
# A Latin acronym with a plural s (DRGs, DIPs, APPs) means the acronym: fold it before
# lower-casing erases the difference between an acronym's s and a word's (drugs, tips).
_ACRONYM_PLURAL = re.compile(r"(?<![A-Za-z])([A-Z]{2,})s(?![A-Za-z])")


def trie_pattern(words: Iterable[str], latin_whole_words: bool = True) -> str:
    """One regex for many literal words that tries only the branch of the next character.

    A flat alternation of hundreds of words makes the regex engine try each word at every
    position; a trie tries one branch per character, and because every branch starts with
    a literal the engine can also skip positions no word starts at. Longest match first
    (greedy optional tails), as the flat longest-first alternation did. With
    `latin_whole_words`, Latin words match whole words only: the lookbehind sits after the
    first letter so that it does not hide the literal from the first-character scan.
    """
    trie: dict[str, dict] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict], path: str, top: bool) -> str:
        branches = []
        for ch in sorted(k for k in node if k):
            guard = ""
            if latin_whole_words and top and ch.isascii() and ch.isalnum():
                guard = rf"(?<![0-9a-z]{re.escape(ch)})"
            branches.append(re.escape(ch) + guard + emit(node[ch], path + ch, False))
        end = ""
        if latin_whole_words and "" in node and path.isascii():
            end = "(?![0-9a-z])"
        if not branches:
            return end
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            # The word may end here: prefer the longer one, else end (with its guard).
            return f"(?:{body}|{end})" if end else f"(?:{body})?"
        return body

    return emit(trie, "", True)


def by_script(words: Iterable[str]) -> list[list[str]]:
    """The words as [the others, the Chinese ones], to be matched by a trie each, in that
    order: Python's regex engine tries the alternatives at a position one by one, and one
    trie mixing Latin guards with Chinese first characters scans a FAQ several times
    slower than the two. The matches are the same, as no Chinese word shares a character
    with another word; the others go first, so a Latin guard never sees what replaced a
    Chinese word (and a Chinese run is whole whatever replaced a Latin word, as long as
    that has no Chinese). One group when a word mixes the scripts."""
    items = [w for w in words if w]
    cjk = [w for w in items if CJK_RUN.fullmatch(w)]
    rest = [w for w in items if not CJK_RUN.fullmatch(w)]
    if not cjk or not rest or any(map(_ANY_CJK.search, rest)):
        return [items] if items else []
    return [rest, cjk]


class Normalizer:
    """Folds width, script (traditional to simplified), case, punctuation, fillers, synonyms."""

    def __init__(self, synonyms: Mapping[str, Iterable[str]], fillers: Iterable[str]) -> None:
        mapping: dict[str, str] = {}
        groups_ = [(canonical, list(variants)) for canonical, variants in synonyms.items()]
        # Folded in one batch: a FAQ's thousand words one call each are a tenth of a start.
        folded = iter(self._fold_many([w for c, vs in groups_ for w in (c, *vs)]))
        for _, variants in groups_:
            canon = next(folded)
            mapping[canon] = canon  # so a canonical word is never re-written by a shorter variant
            for v in map(next, repeat(folded, len(variants))):
                mapping.setdefault(v, canon)
        self._canon = mapping
        # Split on the synonyms (a group keeps them) rather than `sub` with a function: each
        # match is then looked up at C speed, not by a Python call (a FAQ's phrasings have
        # hundreds of thousands of matches, most of them already canonical).
        groups = by_script(mapping)
        if len(groups) == 2 and any(_ANY_CJK.search(mapping[w]) for w in groups[0]):
            # A Latin word rewritten to Chinese would be matched again by the second trie.
            groups = [[*groups[0], *groups[1]]]
        self._synonym_splits = tuple(re.compile(f"({trie_pattern(g)})") for g in groups)
        folded_fillers = self._fold_many(list(fillers))
        self._filler_re = self._alternation(f for f in folded_fillers if len(f) > 1)
        # A one-character particle (啊, 呢, 哈…) is a filler only where a clause ends: inside
        # a word it is content (哈密, 酒吧).
        singles = sorted({f for f in folded_fillers if len(f) == 1})
        # MULTILINE: a text of a batch ends at its newline.
        self._particle_re = (
            re.compile("[" + re.escape("".join(singles)) + "]+(?= |$)", re.MULTILINE)
            if singles
            else None
        )

    @staticmethod
    def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
        items = {w for w in words if w}
        if not items:
            return None
        # Latin words must match whole words; CJK has no word boundaries to respect.
        return re.compile(trie_pattern(items))

    @staticmethod
    def _fold_many(texts: Sequence[str]) -> list[str]:
        """Each text's script, case and punctuation folded, as one batch (`_fold_lines`)."""
        if not texts:
            return []
        return [t.strip() for t in _fold_lines("\n".join(map(_line, texts))).split("\n")]

    def __call__(self, text: str) -> str:
        """The matching form of `text`: may be empty when nothing meaningful is left."""
        return " ".join(self._rewrite(_fold_lines(_line(text))).split())

    def many(self, texts: Sequence[str]) -> list[str]:
        """`[self(t) for t in texts]`, in one pass of each step over all of them joined by
        newlines (a FAQ's 100,000 phrasings: a fifth of the per-call time). The same
        result: no step's match crosses a newline, nor treats it unlike a text's end (see
        `_fold_lines`, and the MULTILINE `$` of the particle rule)."""
        if not texts:
            return []
        folded = self._rewrite(_fold_lines("\n".join(map(_line, texts))))
        return [" ".join(t.split()) for t in folded.split("\n")]

    def _rewrite(self, folded: str) -> str:
        """Fillers out, synonyms to their canonical word."""
        if self._filler_re is not None:
            folded = self._filler_re.sub(" ", folded)
        if self._particle_re is not None:
            folded = self._particle_re.sub(" ", folded)
        for synonyms in self._synonym_splits:
            parts = synonyms.split(folded)
            parts[1::2] = map(self._canon.__getitem__, parts[1::2])
            folded = "".join(parts)
        # Spaces matter only between Latin words; CJK runs are joined (by the caller).
        return folded


def _line(text: str) -> str:
    """The part of `text` that is matched, width-folded (NFKC), on one line: a newline
    separates words like a space does in every step, and would end the text inside a
    batch. (NFKC maps no character to a newline. It runs per text: over a joined batch
    it is several times slower, one character that fails its quick check is enough.)"""
    return unicodedata.normalize("NFKC", text[:MAX_MATCH_CHARS].replace("\n", " "))


def _fold_lines(text: str) -> str:
    """Script, case and punctuation folded, line by line of `text` at once: the acronym
    rule and the script table's phrases contain no newline, and every other step maps one
    character at a time. The separators' spaces are left for the caller to collapse."""
    # The acronym rule needs capitals; most questions have none (then it changes nothing).
    if text.lower() != text:
        text = _ACRONYM_PLURAL.sub(r"\1", text)
    return _SEPARATORS.sub(" ", to_simplified(text).lower())


# Longest first; each keeps at least a 3-letter stem.
_SUFFIXES = ("isations", "izations", "isation", "ization", "ations", "ation", "ments", "ment",
             "ising", "izing", "ised", "ized", "ings", "ing", "ies", "ied", "ed", "es", "s", "ly")


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light English stemmer: strips one common suffix (keeping at least 3 letters),
    then a final e, so that every form of a word meets one stem: hospital / hospitalised /
    hospitalization -> hospital; settle / settled / settlement -> settl; file / filing /
    files -> fil. A full Porter stemmer would buy little on questions this short."""
    for suf in _SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            word = word[: -len(suf)] + ("y" if suf in ("ies", "ied") else "")
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


class _LatinTokens(dict[str, str]):
    """The token each Latin word gives (stemmed; a digit string as it is), or "" for none
    (a single letter): a look-up table, so that a FAQ's words are mapped at C speed. It
    holds the words seen so far, up to a bound (questions bring new words forever)."""

    def __missing__(self, w: str) -> str:
        out = (w if w.isdigit() else stem(w)) if len(w) > 1 or w.isdigit() else ""
        if len(self) < _LATIN_CACHE:
            self[w] = out
        return out


_LATIN_CACHE = 1 << 16
# The token a Latin word gives (`tokens`), "" for none.
latin_token = _LatinTokens().__getitem__


def tokens(normalized: str) -> list[str]:
    """Character unigrams and bigrams of CJK runs, plus whole Latin words (stemmed).

    Chinese has no spaces; character n-grams need no dictionary (fast start-up) and are
    robust to the typos and word-order changes of typed questions.
    """
    runs = CJK_RUN.findall(normalized)
    if len(runs) == 1 and len(runs[0]) == len(normalized):
        # Only Chinese, the commonest text: no Latin words to look for.
        return [*normalized, *map(add, normalized, normalized[1:])]
    out: list[str] = []
    for run in runs:
        out += run
        out += map(add, run, run[1:])  # bigrams, without a Python-level loop
    # Latin words stemmed, so that hospitalised meets hospitalisation here too.
    out += filter(None, map(latin_token, _LATIN_WORD.findall(normalized)))
    return out
