"""Residents' text made safe to show staff: terminal control characters and bidi overrides
rendered visibly escaped.

A logged question is whatever a resident typed. Printed raw, an ESC sequence can recolour
or clear the staff member's terminal (or retitle the window), BEL rings, CR overwrites the
line, and U+202E (right-to-left override) makes text read differently from what it is, in
a terminal, Telegram or Excel alike. Every staff output passes question text through
`visible`; JSON output through `json_safe`.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, except TAB and LF (plain whitespace everywhere); the bidi
# embeddings, overrides, isolates and marks; the Unicode line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                     "\u202a-\u202e\u2066-\u2069]")
# The same characters where they can still be raw in JSON text (json.dumps escapes C0).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def visible(text: str) -> str:
    """`text` with every control and bidi character written as an escape (ESC → \\x1b,
    U+202E → \\u202e); everything else unchanged."""
    return _UNSAFE.sub(_escape, text)


def json_safe(json_text: str) -> str:
    """JSON text with the same characters as \\uXXXX escapes: the same JSON value, but
    inert when printed to a terminal."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", json_text)
