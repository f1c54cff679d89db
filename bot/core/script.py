"""Traditional -> simplified Chinese, from zhconv's conversion table without importing zhconv.

`import zhconv` pulls in pkg_resources (about 0.2 s of a 0.6 s cold start) only to find
its own JSON table. This module reads the same table and gives the same result as
`zhconv.convert(text, "zh-cn")` (longest match of phrase keys), but fast: almost every
phrase key converts character by character, so a text that contains none of the few
phrases that don't (1.5k of 12k keys) is converted by one `str.translate`.
"""

from __future__ import annotations

import importlib.util
import json
import re
from bisect import bisect_right
from itertools import accumulate
from operator import add
from pathlib import Path

# A character above U+FFFF: then the table is applied by `translate` (see _translate_many).
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class _Table:
    def __init__(self) -> None:
        # find_spec locates the package without running its __init__ (which imports
        # pkg_resources).
        spec = importlib.util.find_spec("zhconv")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("zhconv (the conversion table) is not installed")
        path = Path(next(iter(spec.submodule_search_locations))) / "zhcdict.json"
        raw = json.loads(path.read_text(encoding="utf-8"))
        # zhconv's zh-cn: the generic simplified table, overridden by the mainland one.
        table: dict[str, str] = {**raw["zh2Hans"], **raw["zh2CN"]}
        self.table = table
        singles = {k: v for k, v in table.items() if len(k) == 1}
        self.chars = str.maketrans(singles)
        self._changed = {k: v for k, v in singles.items() if v != k}
        self._changing: re.Pattern[str] | None = None
        # Phrases whose conversion is not their characters' conversion (including identity
        # phrases that protect a character from its own rule); found by their first two
        # characters, compared as a set of the text's bigrams.
        special = (k for k, v in table.items() if len(k) > 1 and v != k.translate(self.chars))
        self.special_heads = frozenset(k[:2] for k in special)
        self._prefixes: frozenset[str] | None = None

    @property
    def prefixes(self) -> frozenset[str]:
        # Only the slow path needs them: built on its first use.
        if self._prefixes is None:
            self._prefixes = frozenset(w[:k] for w in self.table for k in range(1, len(w) + 1))
        return self._prefixes

    def convert(self, text: str) -> str:
        if "\n" in text:
            return self._convert_lines(text)
        if self.special_heads.isdisjoint(map(add, text, text[1:])):
            return text.translate(self.chars)
        return self._longest_match(text)

    def _convert_lines(self, text: str) -> str:
        """Many texts, one a line (`Normalizer.many`): no key holds a newline, so each
        line converts on its own, and only the lines holding a special phrase need the
        slow rule; the others are translated all at once."""
        lines = text.split("\n")
        fast = self._translate_many(text).split("\n")
        # The heads that can occur (both characters in the text), then one regex pass
        # over them: cheaper than every bigram of a whole FAQ. A line that holds a head
        # holds a match (an earlier match overlapping it is on the same line).
        present = set(text)
        heads = sorted(h for h in self.special_heads if h[0] in present and h[1] in present)
        if not heads:
            return "\n".join(fast)
        starts = list(accumulate(map(len, lines), lambda at, n: at + n + 1, initial=0))
        found = re.compile("|".join(map(re.escape, heads)))
        for k in {bisect_right(starts, m.start()) - 1 for m in found.finditer(text)}:
            # An ASCII line is left as it is, as `to_simplified` leaves an ASCII text.
            if not lines[k].isascii():
                fast[k] = self._longest_match(lines[k])
        return "\n".join(fast)

    def _translate_many(self, text: str) -> str:
        """`text.translate(self.chars)` for a large text: `translate` looks every character
        up in the table (0.4 s for a FAQ's phrasings), where a regex finds the few that
        change (none in a simplified FAQ) at C speed. Only with a class of characters
        below U+10000: `re` scans a class holding any above it one member at a time."""
        if _ASTRAL.search(text):
            return text.translate(self.chars)
        if self._changing is None:
            bmp = sorted(c for c in self._changed if c <= "\uffff")
            self._changing = re.compile("([" + "".join(map(re.escape, bmp)) + "])")
        parts = self._changing.split(text)
        parts[1::2] = map(self._changed.__getitem__, parts[1::2])
        return "".join(parts)

    def _longest_match(self, text: str) -> str:
        """zhconv's rule: at each position the longest key, else the character itself."""
        out: list[str] = []
        pos, n = 0, len(text)
        while pos < n:
            best, best_end = text[pos], pos + 1
            end = pos + 1
            while end <= n and text[pos:end] in self.prefixes:
                hit = self.table.get(text[pos:end])
                if hit is not None:
                    best, best_end = hit, end
                end += 1
            out.append(best)
            pos = best_end
        return "".join(out)


_TABLE: _Table | None = None


def to_simplified(text: str) -> str:
    """`text` in simplified Chinese (mainland forms), as zhconv.convert(text, "zh-cn")."""
    global _TABLE
    if text.isascii():
        return text
    if _TABLE is None:
        _TABLE = _Table()  # read once per process, on the first non-ASCII text
    return _TABLE.convert(text)
