"""Split a long question into clauses, so that the part that asks is matched on its own.

Residents write narratives ("我妹妹在广州打工，住院了，老家买的新农合，能报多少"): the
people and places around the question dilute every score of the whole. Each clause is
matched too, and the one that carries the question wins on confidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Sentence and clause punctuation, full- and half-width, and line breaks. A comma inside
# a number (1,000) is not a clause boundary.
_BOUNDARY = re.compile(r"[。！？；!?;\n]+|[，,、](?!\d)|(?<!\d)\.(?!\d)|\s{2,}")
# Words that open a second question in the same message.
_SECOND_QUESTION = re.compile(r"(?<=\S)(?=还有|另外|另一个问题|顺便问|再问一下)")
# A clause shorter than this (characters, after trimming) says too little to be matched
# alone; it still counts as context in the tails below.
MIN_CLAUSE_CHARS = 4
# Matching costs one index look-up per view: bound them for a pasted essay.
MAX_VIEWS = 3


def split_clauses(text: str) -> list[str]:
    """The clauses of `text`, in order; a single clause when there is nothing to split."""
    parts: list[str] = []
    for chunk in _BOUNDARY.split(text):
        parts.extend(p.strip() for p in _SECOND_QUESTION.split(chunk))
    return [p for p in parts if p]


def views(text: str, key: Callable[[str], str] = str.strip) -> list[str]:
    """The parts of a long question worth matching besides the whole, most telling first:
    the question usually comes last with its context just before it, so the last clause
    and the last two lead; then the other clauses long enough to stand alone (a second
    question in the same message), from the end; then the longer tails.

    `key` is what the matcher would compare (the normalized text): a clause whose key is
    empty (谢谢, 另外, 你好) says nothing and takes no place, and two views with one key, or
    one with the whole's, are one look-up. At most MAX_VIEWS distinct ones: each costs a
    look-up, and the fit sets gain nothing from more."""
    clauses = [c for c in split_clauses(text) if key(c)]
    if len(clauses) < 2:
        return []
    tails = ["，".join(clauses[k:]) for k in range(len(clauses) - 1, 0, -1)]
    singles = [c for c in reversed(clauses[:-1]) if len(c) >= MIN_CLAUSE_CHARS]
    seen = {key(text)}
    out: list[str] = []
    for view in tails[:2] + singles + tails[2:]:
        k = key(view)
        if k and k not in seen:
            seen.add(k)
            out.append(view)
    return out[:MAX_VIEWS]
