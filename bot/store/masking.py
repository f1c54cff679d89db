"""Masking of personal numbers (ID-card, mobile, bank-card-like) in text before it is stored.

People type numbers in every shape: `138.1234.5678`, `(138)1234-5678`, `138 12 34 56 78`,
full-width or mathematical digits (`１３８…`, `𝟏𝟑𝟖…`), circled ones (`①③⑧…`), an ID in
groups of four. So masking does not look at the raw text directly: it builds a *view* of it
(each character NFKC-folded, every digit folded to ASCII 0-9, each view character
remembering the raw character it came from), finds chains of digit groups joined by short
runs of any separator (punctuation, symbols, spaces, control and format characters) in the
view, and replaces the raw characters behind each personal number by its mask. The stored
text keeps everything else exactly as typed.

Pure: no I/O. bot.store.privacy re-exports what the rest of the program uses.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Markers that replace personal numbers; ASCII so they survive normalization unchanged.
MASK_ID = "[ID]"
MASK_PHONE = "[PHONE]"
MASK_CARD = "[CARD]"
MASKS = (MASK_ID, MASK_PHONE, MASK_CARD)
# Chains of digits at least this long are bank cards (13-19) or other account numbers.
MIN_CARD_DIGITS = 12
# At most this many separator characters between two digit groups of one number
# ("138 - 1234 - 5678" has three); a longer run separates two numbers.
MAX_SEPARATOR_RUN = 4
# The longest personal number: an 18-digit ID, or +86 and a mobile (13 digits).
_MAX_PERSONAL_DIGITS = 18

# 18-character resident ID: 6-digit area code, birth date YYYYMMDD (19xx/20xx), 3-digit
# sequence, check character.
_ID18 = re.compile(r"[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]")
_MOBILE = re.compile(r"(?:86)?1[3-9]\d{9}")
# A chain that is only years, dates or date-times (2023 2024 2025; 2025-03-21 2025-04-01
# 08:30) is not an account number, however many digits it has. Groups joined by "-".
_DATE = (r"(?:19|20)\d\d(?:-(?:0?[1-9]|1[0-2])(?:-(?:0?[1-9]|[12]\d|3[01])"
         r"(?:-(?:[01]?\d|2[0-3])(?:-[0-5]\d){1,2})?)?)?")
_DATES = re.compile(rf"{_DATE}(?:-{_DATE})*")
# Characters that are digits (or become digits under NFKC) but that \d does not match.
_OTHER_DIGITS = ("\u1369-\u1371\u19da\u2460-\u24ff\u2776-\u2793\u3200-\u33ff"
                 "\U00010a40-\U00010a43\U00010e60-\U00010e68\U00011052-\U0001105a"
                 "\U0001f100-\U0001f10c")
_MAY_HAVE_DIGITS = re.compile(rf"[\d{_OTHER_DIGITS}]")
# The view as one letter per character: d digit, x an ID check character, s separator,
# o anything else (letters, CJK). A chain: digit groups joined by short separator runs,
# optionally ending in X (directly or after one separator) when no digit follows.
_CHAIN = re.compile(rf"d+(?:s{{1,{MAX_SEPARATOR_RUN}}}d+)*(?:s?x(?![dx]))?")
_GROUP = re.compile(r"d+")


def _fold(c: str) -> str:
    """The view of one raw character: NFKC, with every digit (any script, circled,
    mathematical, full-width) as ASCII."""
    if c < "\x80":
        return c
    out = []
    for x in unicodedata.normalize("NFKC", c):
        d = unicodedata.digit(x, None)
        out.append(str(d) if d is not None else x)
    return "".join(out)


def view(text: str) -> str:
    """`text` as masking sees it: NFKC, every digit ASCII (for tests and checks)."""
    return "".join(map(_fold, text))


def _shape(v: str) -> str:
    if "0" <= v <= "9":
        return "d"
    if v in "Xx":
        return "x"
    return "o" if v.isalnum() else "s"


@dataclass(frozen=True)
class Span:
    """A personal number in the raw text: [start, end) and its mask."""

    start: int
    end: int
    mask: str


def find(text: str) -> list[Span]:
    """The personal numbers in `text`, in order, not overlapping (raw character offsets)."""
    if text.isascii():
        if not any("0" <= c <= "9" for c in text):
            return []
    elif not _MAY_HAVE_DIGITS.search(unicodedata.normalize("NFKC", text)):
        return []
    view: list[str] = []
    origin: list[int] = []  # raw index of each view character
    for i, c in enumerate(text):
        for v in _fold(c):
            view.append(v)
            origin.append(i)
    shape = "".join(map(_shape, view))
    spans: list[Span] = []
    for m in _CHAIN.finditer(shape):
        for vs, ve, mask in _chain_masks(view, shape, m.start(), m.end()):
            # "+86 …" and "(138)1234-5678": the + or ( belongs to the number.
            if vs > 0 and (view[vs - 1] == "+" or
                           (view[vs - 1] == "(" and ")" in view[vs:ve])):
                vs -= 1
            start, end = origin[vs], origin[ve - 1] + 1
            if spans and start < spans[-1].end:  # two masks inside one raw character
                prev = spans.pop()
                start, mask = prev.start, prev.mask
            spans.append(Span(start, end, mask))
    return spans


def _chain_masks(view: list[str], shape: str, start: int,
                 end: int) -> list[tuple[int, int, str]]:
    """Masks inside one chain as view ranges: IDs and mobiles aligned to its digit groups
    (longest first, left to right), then any leftover run of groups long enough to be a
    card. Every 11-digit mobile and every run of 12+ digits in the chain ends up masked."""
    groups = [(g.start(), g.end())
              for g in _GROUP.finditer(shape, start, end)]
    digits = ["".join(view[a:b]) for a, b in groups]
    has_x = shape[end - 1] == "x"
    last = len(groups) - 1

    def cover(i: int, j: int) -> tuple[int, int]:
        return groups[i][0], end if j == last and has_x else groups[j][1]

    found: list[tuple[int, int, str]] = []  # (first group, last group, mask)
    i = 0
    while i <= last:
        best: tuple[int, str] | None = None
        run = ""
        for j in range(i, last + 1):
            run += digits[j]
            if len(run) > _MAX_PERSONAL_DIGITS:
                break
            kind = _personal(run, has_x and j == last)
            if kind is not None:
                best = (j, kind)
        if best is None:
            i += 1
            continue
        found.append((i, best[0], best[1]))
        i = best[0] + 1
    # Leftover runs of groups between the IDs and mobiles.
    out: list[tuple[int, int, str]] = []
    nxt = 0
    for i, j, kind in [*found, (last + 1, last, "")]:
        if i > nxt:
            rest = digits[nxt:i]
            if sum(map(len, rest)) >= MIN_CARD_DIGITS and not _DATES.fullmatch("-".join(rest)):
                out.append((*cover(nxt, i - 1), MASK_CARD))
        if kind:
            out.append((*cover(i, j), kind))
        nxt = j + 1
    return out


def _personal(digits: str, x: bool) -> str | None:
    """MASK_ID or MASK_PHONE when `digits` (+ X) is exactly one of them, else None."""
    if x and len(digits) == 17:  # an ID, even one with an impossible birth date
        return MASK_ID
    if len(digits) == 18 and _ID18.fullmatch(digits):
        return MASK_ID
    if _MOBILE.fullmatch(digits):
        return MASK_PHONE
    return None


def mask(text: str) -> str:
    """`text` with ID-card, mobile and card-like numbers replaced by [ID] / [PHONE] / [CARD]."""
    spans = find(text)
    if not spans:
        return text
    out, at = [], 0
    for s in spans:
        out.append(text[at:s.start])
        out.append(s.mask)
        at = s.end
    out.append(text[at:])
    return "".join(out)


def straddles(text: str, cut: int) -> str | None:
    """The mask of a personal number in `text` that runs across offset `cut`, if any: a
    copy of the text cut there (the engine's normalized form) ends in part of it."""
    for s in find(text[: cut + 2 * _MAX_PERSONAL_DIGITS * (MAX_SEPARATOR_RUN + 1)]):
        if s.start < cut < s.end:
            return s.mask
    return None
