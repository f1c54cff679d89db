"""The languages the bot speaks: one registry for FAQ answers, UI strings and `--lang`.

Adding a language (say `ug`) is data plus one line here: its code below, `locales/ug.yaml`,
and `ug` names, phrasings and answers in `faq/`. The FAQ loader then requires them.
"""

from __future__ import annotations

import re

# The first is the default: what a user whose language we lack gets, and what fills gaps.
LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = LANGUAGES[0]
# Phrasings an entry needs per language: the matcher learns mostly from Chinese ones.
MIN_PHRASINGS = {"zh": 4, "en": 1}


def supported(lang: str | None) -> str:
    """`lang` when the bot speaks it, else the default."""
    return lang if lang in LANGUAGES else DEFAULT_LANG


# Which language a question is written in, so the answer can follow it.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]+")


def detect_lang(text: str, default: str = DEFAULT_LANG) -> str:
    """The language a question is written in: 'en' for English, 'zh' for Chinese.

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
