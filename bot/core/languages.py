"""The languages the bot speaks: one registry for FAQ answers, UI strings and `--lang`.

Adding a language (say `ug`) is data plus one line here: its code below, `locales/ug.yaml`,
and `ug` names, phrasings and answers in `faq/`. The FAQ loader then requires them.
"""

from __future__ import annotations

# The first is the default: what a user whose language we lack gets, and what fills gaps.
LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = LANGUAGES[0]
# Phrasings an entry needs per language: the matcher learns mostly from Chinese ones.
MIN_PHRASINGS = {"zh": 4, "en": 1}


def supported(lang: str | None) -> str:
    """`lang` when the bot speaks it, else the default."""
    return lang if lang in LANGUAGES else DEFAULT_LANG
