"""Telegram HTML for engine results, built from `bot.core.render.Renderer` pieces.

Every dynamic string is `html.escape`d here, in one place: FAQ text, source titles and
locale strings alike, so a `<` in a report title can never break a message. Messages are
made of blocks (a paragraph with one style) and packed into messages under Telegram's
4096-character limit; a block too long for one message is cut at a line, sentence or word
boundary, and each piece keeps its style, so no tag is ever split.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.core.engine import Result
from bot.core.render import Renderer

# Telegram counts the text after entity parsing, in UTF-16 code units.
MAX_MESSAGE = 4096
PARAGRAPH = "\n\n"
Style = Literal["", "b", "i"]
# Where a too-long paragraph may be cut, best first.
_CUTS = (re.compile(r"\n"), re.compile(r"(?<=[。！？；.!?;])"), re.compile(r"(?<=[，,、 ])"))


@dataclass(frozen=True)
class Block:
    """A paragraph of plain text shown in one style."""

    text: str
    style: Style = ""

    def html(self) -> str:
        body = html.escape(self.text, quote=False)
        return f"<{self.style}>{body}</{self.style}>" if self.style else body


def units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> list[str]:
    """Pieces of `text`, each at most `limit` units, cut at the best boundary available."""
    pieces: list[str] = []
    while units(text) > limit:
        head = text[:limit]
        while units(head) > limit:  # astral characters count twice
            head = head[:-1]
        at = 0
        for cut in _CUTS:
            # The last boundary in the head, if it keeps at least half a message.
            found = [m.end() for m in cut.finditer(head) if m.end() >= len(head) // 2]
            if found:
                at = found[-1]
                break
        at = at or len(head)
        pieces.append(text[:at].rstrip())
        text = text[at:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def pack(blocks: Iterable[Block], limit: int = MAX_MESSAGE) -> list[str]:
    """HTML messages holding `blocks` in order, each within `limit` visible characters."""
    pieces = [Block(p, b.style) for b in blocks if b.text.strip()
              for p in _cut(b.text.strip(), limit)]
    messages: list[str] = []
    current: list[Block] = []
    size = 0
    for b in pieces:
        extra = units(b.text) + (units(PARAGRAPH) if current else 0)
        if current and size + extra > limit:
            messages.append(PARAGRAPH.join(x.html() for x in current))
            current, size = [], 0
            extra = units(b.text)
        current.append(b)
        size += extra
    if current:
        messages.append(PARAGRAPH.join(x.html() for x in current))
    return messages


def text_messages(*paragraphs: str, style: Style = "") -> list[str]:
    """Plain locale text (already filled in) as escaped, split HTML messages."""
    return pack(Block(p, style) for p in paragraphs)


# --------------------------------------------------------------------------- results


def answer_blocks(renderer: Renderer, r: Result) -> list[Block]:
    """Notes, the answer, then per variant its date/region and source line; a second
    question asked in the same message gets its own complete answer below."""
    lang = r.lang
    blocks = [Block(n, "i") for n in renderer.notes(r)]
    blocks.append(Block(renderer.variant_text(r.variants, lang)))
    sources = "\n".join(line for v in r.variants
                        for line in (renderer.as_of_line(v, lang), renderer.source_line(v, lang)))
    blocks.append(Block(sources, "i"))
    if r.stale:
        blocks.append(Block(renderer.stale_line(r.variants, lang)))
    for extra in r.also:
        blocks.extend(answer_blocks(renderer, extra))
    return blocks


def clarify_blocks(renderer: Renderer, r: Result) -> list[Block]:
    return [Block(renderer.loc.t(r.lang, "clarify.intro"), "b")]


def fallback_blocks(renderer: Renderer, r: Result) -> list[Block]:
    """The apology and advice; then an invitation to the topic buttons."""
    lines = renderer.fallback_lines(r)
    return [Block("\n".join(lines)), Block(renderer.loc.t(r.lang, "tg.fallback_topics"), "i")]


def result_messages(renderer: Renderer, r: Result) -> list[str]:
    """The HTML messages for one engine result (the keyboard goes under the last one)."""
    if r.status == "answer":
        return pack(answer_blocks(renderer, r))
    if r.status == "clarify":
        return pack(clarify_blocks(renderer, r))
    return pack(fallback_blocks(renderer, r))

