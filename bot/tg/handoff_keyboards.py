"""The human handoff's buttons and their callback data (bot/tg/keyboards.py's rules: short
ASCII, strictly decoded, validated against the pressed message's own keyboard).

Resident's: `ho:<qid>|ho:-` ask a person, `hc:<n>` end, `hr:<n>:<0|1>` rate the help.
Staff's (in the staff group only): `sk:<n>` claim, `sx:<n>` close, `sf:<n>` add to FAQ.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.i18n import Locales
from bot.tg.keyboards import Patterns, decode_with, kind_check, label

_QID = r"[A-Za-z0-9_-]{1,16}"
_N = r"[1-9]\d{0,11}"


@dataclass(frozen=True)
class AskPerson:
    """Open a ticket, starting from the logged question `qid` (None: no question known)."""

    qid: str | None


@dataclass(frozen=True)
class EndTicket:
    number: int


@dataclass(frozen=True)
class RateTicket:
    number: int
    helpful: bool


@dataclass(frozen=True)
class ClaimTicket:
    number: int


@dataclass(frozen=True)
class CloseTicket:
    number: int


@dataclass(frozen=True)
class SuggestFaq:
    number: int


HandoffCallback = AskPerson | EndTicket | RateTicket | ClaimTicket | CloseTicket | SuggestFaq
STAFF_KINDS = (ClaimTicket, CloseTicket, SuggestFaq)

_PATTERNS: Patterns[HandoffCallback] = (
    (re.compile(rf"ho:({_QID}|-)"), lambda m: AskPerson(None if m[1] == "-" else m[1])),
    (re.compile(rf"hc:({_N})"), lambda m: EndTicket(int(m[1]))),
    (re.compile(rf"hr:({_N}):([01])"), lambda m: RateTicket(int(m[1]), m[2] == "1")),
    (re.compile(rf"sk:({_N})"), lambda m: ClaimTicket(int(m[1]))),
    (re.compile(rf"sx:({_N})"), lambda m: CloseTicket(int(m[1]))),
    (re.compile(rf"sf:({_N})"), lambda m: SuggestFaq(int(m[1]))),
)


def encode(cb: HandoffCallback) -> str:
    match cb:
        case AskPerson(qid):
            data = f"ho:{qid or '-'}"
        case EndTicket(n):
            data = f"hc:{n}"
        case RateTicket(n, helpful):
            data = f"hr:{n}:{int(helpful)}"
        case ClaimTicket(n):
            data = f"sk:{n}"
        case CloseTicket(n):
            data = f"sx:{n}"
        case SuggestFaq(n):
            data = f"sf:{n}"
    if decode(data) is None:
        raise ValueError(f"cannot encode {cb!r} as callback data")
    return data


def decode(data: object) -> HandoffCallback | None:
    return decode_with(_PATTERNS, data)


def is_handoff(*kinds: type) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern for handoff data of one of `kinds`."""
    return kind_check(decode, *kinds)


def _button(text: str, cb: HandoffCallback) -> InlineKeyboardButton:
    return InlineKeyboardButton(label(text), callback_data=encode(cb))


def ask_button(loc: Locales, lang: str, qid: str | None) -> InlineKeyboardButton:
    """"转人工 / Ask a person" (under a fallback, after "none of these", and for /human)."""
    return _button(loc.t(lang, "handoff.button_ask"), AskPerson(qid))


def end_markup(loc: Locales, lang: str, number: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(loc.t(lang, "handoff.button_end"), EndTicket(number))]])


def reply_markup(loc: Locales, lang: str, number: int,
                 with_end: bool = True) -> InlineKeyboardMarkup:
    """👍/👎 under a staff reply (or a closing message), and "end" while the ticket is open."""
    rows = [[_button(loc.t(lang, "tg.feedback_yes"), RateTicket(number, True)),
             _button(loc.t(lang, "tg.feedback_no"), RateTicket(number, False))]]
    if with_end:
        rows.append([_button(loc.t(lang, "handoff.button_end"), EndTicket(number))])
    return InlineKeyboardMarkup(rows)


def staff_markup(loc: Locales, lang: str, number: int) -> InlineKeyboardMarkup:
    """Claim, close and add-to-FAQ under a ticket's post in the staff group."""
    return InlineKeyboardMarkup([[
        _button(loc.t(lang, "handoff.button_claim"), ClaimTicket(number)),
        _button(loc.t(lang, "handoff.button_close"), CloseTicket(number)),
        _button(loc.t(lang, "handoff.button_faq"), SuggestFaq(number)),
    ]])
