"""Inline keyboards and their callback data: encode, decode, validate (Telegram allows 64 bytes).

Callback data is a short ASCII string, `kind:args`. Decoding is strict (a regex per kind) and
returns None for anything else, so a forged or stale button never reaches a handler as
garbage. Entry ids too long to fit are replaced by a short digest resolved against the KB.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.i18n import Locales
from bot.core.kb import Entry, KnowledgeBase

MAX_CALLBACK_BYTES = 64
# A button label longer than this is cut: phones show about this much on one line.
MAX_LABEL = 60
TOPICS_PER_PAGE = 6
ENTRIES_PER_PAGE = 6
NO_REGION = "-"

_QID = r"[A-Za-z0-9_-]{1,16}"
_ID = r"(?:[a-z0-9][a-z0-9_-]{0,62}|~[0-9a-f]{10})"
_PAGE = r"\d{1,3}"
# Who asked: a query id may carry the asker's tag (`qid.tag`); buttons from before the tag
# existed have none.
_TAG = r"[A-Za-z0-9_-]{8}"
_ASKED = rf"({_QID})(?:\.({_TAG}))?"


@dataclass(frozen=True)
class Feedback:
    """👍 / 👎 under an answer; `asker` is the tag of who asked (only they may vote)."""

    qid: str
    helpful: bool
    asker: str | None = None


@dataclass(frozen=True)
class Pick:
    """A suggestion tapped under a clarify or fallback message (a logged selection).
    `region`: the region the suggestion was labelled with; the answer holds for it only."""

    qid: str
    entry: str
    asker: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class NoneOfThese:
    """The "none of these" button under a clarify message (an unhelpful vote)."""

    qid: str
    asker: str | None = None


@dataclass(frozen=True)
class Show:
    """Show one entry: a related entry under an answer, or one picked while browsing."""

    entry: str


@dataclass(frozen=True)
class Topics:
    """The list of topics, at a page."""

    page: int


@dataclass(frozen=True)
class TopicPage:
    """The entries of one topic, at a page."""

    topic: str
    page: int


@dataclass(frozen=True)
class SetRegion:
    """A region chosen under /region; None clears it."""

    region: str | None


@dataclass(frozen=True)
class SetLang:
    """A language chosen under /lang."""

    lang: str


@dataclass(frozen=True)
class Noop:
    """A button that only shows something (a page number, an acknowledgement)."""


Callback = Feedback | Pick | NoneOfThese | Show | Topics | TopicPage | SetRegion | SetLang | Noop

T = TypeVar("T")
# Callback data shapes: a regex matched whole, and what a match builds.
Patterns = tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], T]], ...]

_PATTERNS: Patterns[Callback] = (
    (re.compile(rf"f:{_ASKED}:([01])"), lambda m: Feedback(m[1], m[3] == "1", m[2])),
    (re.compile(rf"p:{_ASKED}:({_ID})(?:@({_ID}))?"), lambda m: Pick(m[1], m[3], m[2], m[4])),
    (re.compile(rf"n:{_ASKED}"), lambda m: NoneOfThese(m[1], m[2])),
    (re.compile(rf"e:({_ID})"), lambda m: Show(m[1])),
    (re.compile(rf"t:({_PAGE})"), lambda m: Topics(int(m[1]))),
    (re.compile(rf"tp:({_ID}):({_PAGE})"), lambda m: TopicPage(m[1], int(m[2]))),
    (re.compile(rf"rg:({_ID}|{NO_REGION})"),
     lambda m: SetRegion(None if m[1] == NO_REGION else m[1])),
    (re.compile(r"lg:([a-z]{2,8})"), lambda m: SetLang(m[1])),
    (re.compile(r"x"), lambda m: Noop()),
)


def asker_tag(user_id: int) -> str:
    """The tag of a user who asked, carried by the buttons that speak for their question
    (👍/👎, suggestions, "none of these"). It travels with the message itself, so it holds
    across FAQ reloads and restarts, and `offered` stops anyone forging another one. Group
    members see the asker's id anyway; the digest just keeps the data short."""
    digest = hashlib.blake2b(str(user_id).encode(), digest_size=6, person=b"yibao-asker")
    return base64.urlsafe_b64encode(digest.digest()).decode()


def _asked(qid: str, asker: str | None) -> str:
    return f"{qid}.{asker}" if asker else qid


def token(ident: str, room: int = MAX_CALLBACK_BYTES) -> str:
    """An id (entry, topic, region) itself when it is plain and fits `room` bytes, else a
    10-hex-digit digest that `resolve` maps back."""
    if len(ident.encode()) <= room and re.fullmatch(_ID, ident) and not ident.startswith("~"):
        return ident
    return "~" + hashlib.blake2b(ident.encode(), digest_size=5).hexdigest()


def resolve(tok: str, ids: Iterable[str]) -> str | None:
    """The id among `ids` that `tok` names, or None (stale after a reload, or forged)."""
    if tok.startswith("~"):
        return next((i for i in ids if token(i, 0) == tok), None)
    return tok if tok in ids else None


def resolve_entry(tok: str, kb: KnowledgeBase) -> Entry | None:
    """The entry a token names in this KB, or None."""
    eid = resolve(tok, kb.by_id)
    return kb.by_id[eid] if eid is not None else None


def encode(cb: Callback) -> str:
    """Callback data for `cb`, guaranteed to fit Telegram's 64 bytes."""
    match cb:
        case Feedback(qid, helpful, asker):
            data = f"f:{_asked(qid, asker)}:{int(helpful)}"
        case Pick(qid, entry, asker, region):
            suffix = "@" + token(region, 20) if region else ""
            prefix = f"p:{_asked(qid, asker)}:"
            data = prefix + token(entry, MAX_CALLBACK_BYTES - len(prefix) - len(suffix)) + suffix
        case NoneOfThese(qid, asker):
            data = f"n:{_asked(qid, asker)}"
        case Show(entry):
            data = "e:" + token(entry, MAX_CALLBACK_BYTES - 2)
        case Topics(page):
            data = f"t:{page}"
        case TopicPage(topic, page):
            data = f"tp:{token(topic, MAX_CALLBACK_BYTES - 8)}:{page}"
        case SetRegion(region):
            data = "rg:" + (token(region, MAX_CALLBACK_BYTES - 3) if region else NO_REGION)
        case SetLang(lang):
            data = f"lg:{lang}"
        case Noop():
            data = "x"
    if decode(data) is None:  # e.g. a query id of the wrong shape: a bug, not user input
        raise ValueError(f"cannot encode {cb!r} as callback data")
    return data


def decode_with(patterns: Patterns[T], data: object) -> T | None:
    """What `data` decodes to by the first of `patterns` it matches whole, or None: data
    that is not a string, too long, or of no known shape (stale, or forged)."""
    if not isinstance(data, str) or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    for pattern, build in patterns:
        m = pattern.fullmatch(data)
        if m is not None:
            return build(m)
    return None


def kind_check(decoder: Callable[[object], object], *kinds: type) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern: true for data that `decoder` turns into one of
    `kinds`."""

    def check(data: object) -> bool:
        return isinstance(decoder(data), kinds)

    return check


def decode(data: object) -> Callback | None:
    """The callback a button carries, or None when the data is not one of ours."""
    return decode_with(_PATTERNS, data)


def is_kind(*kinds: type) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern: true for data that decodes to one of `kinds`."""
    return kind_check(decode, *kinds)


def offered(markup: InlineKeyboardMarkup | None, data: str) -> bool:
    """True when `data` is on one of the message's buttons (else the press is forged)."""
    if markup is None:
        return False
    return any(b.callback_data == data for row in markup.inline_keyboard for b in row)


# --------------------------------------------------------------------------- keyboards


def label(text: str) -> str:
    """A button label, cut to what a phone shows."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def button(text: str, cb: Callback) -> InlineKeyboardButton:
    return InlineKeyboardButton(label(text), callback_data=encode(cb))


def _markup(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    rows = [list(r) for r in rows if r]
    return InlineKeyboardMarkup(rows) if rows else None


def feedback_row(loc: Locales, lang: str, qid: str,
                 asker: str | None = None) -> list[InlineKeyboardButton]:
    return [button(loc.t(lang, "tg.feedback_yes"), Feedback(qid, True, asker)),
            button(loc.t(lang, "tg.feedback_no"), Feedback(qid, False, asker))]


def answer_markup(
    loc: Locales, lang: str, qid: str | None, related: Sequence[tuple[str, str]],
    asker: str | None = None,
) -> InlineKeyboardMarkup | None:
    """👍/👎 (when the answer is to a logged question), then up to 3 related entries."""
    rows: list[list[InlineKeyboardButton]] = []
    if qid is not None:
        rows.append(feedback_row(loc, lang, qid, asker))
    rows += [[button(loc.t(lang, "tg.related", question=q), Show(eid))]
             for eid, q in related[:3]]
    return _markup(rows)


def feedback_acknowledged(
    markup: InlineKeyboardMarkup | None, loc: Locales, lang: str
) -> InlineKeyboardMarkup:
    """The same keyboard with the 👍/👎 row replaced by a thank-you (no second vote)."""
    rows = [list(r) for r in (markup.inline_keyboard if markup else ())
            if not any(isinstance(decode(b.callback_data), Feedback) for b in r)]
    return InlineKeyboardMarkup([[button(loc.t(lang, "tg.feedback_ack"), Noop())], *rows])


Rows = list[list[InlineKeyboardButton]]


# A suggestion button: entry id, the question shown, the region it is labelled with.
SuggestionButton = tuple[str, str, str | None]


def suggestion_rows(qid: str, suggestions: Sequence[SuggestionButton],
                    asker: str | None = None) -> Rows:
    return [[button(q, Pick(qid, eid, asker, region))] for eid, q, region in suggestions[:3]]


def topic_rows(topics: Sequence[tuple[str, str]]) -> Rows:
    return [[button(name, TopicPage(tid, 0))] for tid, name in topics]


def clarify_markup(
    loc: Locales, lang: str, qid: str, suggestions: Sequence[SuggestionButton],
    asker: str | None = None,
) -> InlineKeyboardMarkup | None:
    """Up to 3 suggestions, then "none of these"."""
    rows = suggestion_rows(qid, suggestions, asker)
    rows.append([button(loc.t(lang, "clarify.none_of_these"), NoneOfThese(qid, asker))])
    return _markup(rows)


def fallback_markup(
    qid: str | None,
    suggestions: Sequence[SuggestionButton],
    topics: Sequence[tuple[str, str]],
    asker: str | None = None,
) -> InlineKeyboardMarkup | None:
    """Other regions' entries (when the place was not covered), then the topic buttons."""
    rows = suggestion_rows(qid, suggestions, asker) if qid is not None else []
    return _markup(rows + topic_rows(topics))


def _pager(
    loc: Locales, lang: str, page: int, n_pages: int, at: Callable[[int], Callback]
) -> list[InlineKeyboardButton]:
    if n_pages <= 1:
        return []
    row = []
    if page > 0:
        row.append(button(loc.t(lang, "tg.prev"), at(page - 1)))
    row.append(button(loc.t(lang, "tg.page", page=page + 1, pages=n_pages), Noop()))
    if page < n_pages - 1:
        row.append(button(loc.t(lang, "tg.next"), at(page + 1)))
    return row


def pages(n: int, per_page: int) -> int:
    return max(1, -(-n // per_page))


def clamp_page(page: int, n: int, per_page: int) -> int:
    return min(max(page, 0), pages(n, per_page) - 1)


def topics_markup(
    loc: Locales, lang: str, topics: Sequence[tuple[str, str]], page: int
) -> InlineKeyboardMarkup | None:
    """One page of topics, with a pager when there are more."""
    page = clamp_page(page, len(topics), TOPICS_PER_PAGE)
    shown = topics[page * TOPICS_PER_PAGE:(page + 1) * TOPICS_PER_PAGE]
    n_pages = pages(len(topics), TOPICS_PER_PAGE)
    return _markup([*topic_rows(shown), _pager(loc, lang, page, n_pages, Topics)])


def topic_entries_markup(
    loc: Locales, lang: str, topic_id: str, entries: Sequence[tuple[str, str]], page: int
) -> InlineKeyboardMarkup | None:
    """One page of a topic's entries, a pager, and a back button to the topic list."""
    page = clamp_page(page, len(entries), ENTRIES_PER_PAGE)
    shown = entries[page * ENTRIES_PER_PAGE:(page + 1) * ENTRIES_PER_PAGE]
    n_pages = pages(len(entries), ENTRIES_PER_PAGE)
    rows = [[button(q, Show(eid))] for eid, q in shown]
    rows.append(_pager(loc, lang, page, n_pages, lambda p: TopicPage(topic_id, p)))
    rows.append([button(loc.t(lang, "tg.back"), Topics(0))])
    return _markup(rows)


def region_markup(
    loc: Locales, lang: str, regions: Sequence[tuple[str, str]], current: str | None
) -> InlineKeyboardMarkup | None:
    """One button per covered region (the current one ticked), then "any region"."""
    rows = [[button(loc.t(lang, "tg.chosen", name=name) if rid == current else name,
                    SetRegion(rid))] for rid, name in regions]
    rows.append([button(loc.t(lang, "tg.region_any"), SetRegion(None))])
    return _markup(rows)


def lang_markup(
    loc: Locales, lang: str, languages: Sequence[tuple[str, str]]
) -> InlineKeyboardMarkup | None:
    """One button per language file, each named in its own language."""
    return _markup([[button(loc.t(lang, "tg.chosen", name=name) if code == lang else name,
                            SetLang(code))] for code, name in languages])
