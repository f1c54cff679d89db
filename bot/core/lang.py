"""Which language a question is written in, so the answer can follow it."""

from __future__ import annotations

import re
from typing import Literal

Lang = Literal["zh", "en"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]+")


def detect_lang(text: str, default: Lang = "zh") -> Lang:
    """'en' when the question is written in English, 'zh' when in Chinese.

    One Chinese character carries about as much as a three-letter English word, so a
    Chinese question that names an acronym (DRG, APP) stays Chinese, and an English one
    that quotes a term (长护险) stays English. No letters of either kind: `default`."""
    cjk = len(_CJK.findall(text))
    latin_words = [w for w in _LATIN.findall(text) if len(w) > 1 or w.lower() in ("i", "a")]
    if not cjk and not latin_words:
        return default
    # English needs a few words beyond acronyms (DRG, APP): at least two lower-case words.
    english = [w for w in latin_words if not w.isupper()]
    if len(english) >= 2 and len(english) * 3 > cjk:
        return "en"
    if not cjk and latin_words:
        return "en"
    return "zh"
