"""Human-handoff tickets: a resident's question handed to staff, the messages both ways,
which staff-group messages belong to which ticket, claims, ratings and "add to FAQ"
suggestions. Written at once (not queued: a ticket must exist before staff see it), in
parameterized SQL only.

Privacy: the resident is an HMAC like everywhere else, and all text is masked before it
is written. The one raw identifier is the resident's chat id, which is needed to deliver
staff replies: it is never shown to staff, and it is erased when the ticket closes.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from bot.store.base import StoreBase
from bot.store.privacy import private_text
from bot.store.records import Period, ts_text, utc_now

# Ticket text is kept longer than a logged question: a staff answer can fill a message.
MAX_TICKET_TEXT = 4096
CLOSERS = ("resident", "staff", "idle", "unavailable")

_COLUMNS = ("id, user_ref, chat_id, lang, region, state, question, suggested, query_id, "
            "opened, first_response, last_activity, closed, closed_by, claimed_by, rating")


@dataclass(frozen=True)
class Ticket:
    number: int
    user_ref: str | None
    chat_id: int | None  # the resident's chat while open; None once closed
    lang: str
    region: str | None
    state: str  # open | closed
    question: str
    suggested: str
    query_id: str | None
    opened: str
    first_response: str | None
    last_activity: str
    closed: str | None
    closed_by: str | None
    claimed_by: str | None
    rating: int | None

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    def opened_at(self) -> dt.datetime:
        return parse_ts(self.opened)


@dataclass(frozen=True)
class AskedQuestion:
    """What the query log knows of the question a ticket starts from (masked)."""

    text: str
    lang: str
    region: str | None
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class FaqSuggestion:
    id: int
    ts: str
    ticket: int | None
    lang: str
    region: str | None
    question: str
    answer: str


def parse_ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _ticket(row: Any) -> Ticket | None:
    return Ticket(*row) if row is not None else None


class TicketsMixin(StoreBase):
    """Open, find, message, claim, close, rate tickets; FAQ suggestions; the figures."""

    async def _tx(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
        """One statement in its own write transaction (raises sqlite3.Error)."""
        async with self._tx_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = await self._db.execute(sql, params)
                await self._db.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
        return cur  # type: ignore[return-value]

    # ------------------------------------------------------------------ reading

    async def ticket(self, number: int) -> Ticket | None:
        return _ticket(await self._one(f"SELECT {_COLUMNS} FROM tickets WHERE id = ?",
                                       (number,)))

    async def open_ticket_of(self, chat_id: int) -> Ticket | None:
        return _ticket(await self._one(
            f"SELECT {_COLUMNS} FROM tickets WHERE chat_id = ? AND state = 'open'", (chat_id,)))

    async def open_ticket_chats(self) -> set[int]:
        rows = await self._all("SELECT chat_id FROM tickets WHERE state = 'open'")
        return {int(r[0]) for r in rows if r[0] is not None}

    async def open_tickets(self) -> list[Ticket]:
        rows = await self._all(
            f"SELECT {_COLUMNS} FROM tickets WHERE state = 'open' ORDER BY id")
        return [Ticket(*r) for r in rows]

    async def idle_tickets(self, before: dt.datetime) -> list[Ticket]:
        """Open tickets with no message since `before`."""
        rows = await self._all(
            f"SELECT {_COLUMNS} FROM tickets WHERE state = 'open' AND last_activity < ? "
            "ORDER BY id", (ts_text(before),))
        return [Ticket(*r) for r in rows]

    async def ticket_by_post(self, chat_id: int, message_id: int) -> Ticket | None:
        """The ticket a message the bot posted in the staff group belongs to."""
        return _ticket(await self._one(
            f"SELECT {', '.join('t.' + c.strip() for c in _COLUMNS.split(','))} "
            "FROM ticket_posts p JOIN tickets t ON t.id = p.ticket_id "
            "WHERE p.chat_id = ? AND p.message_id = ?", (chat_id, message_id)))

    async def first_post(self, number: int, chat_id: int) -> int | None:
        """The staff-group message that announced the ticket (the thread to reply under)."""
        row = await self._one("SELECT MIN(message_id) FROM ticket_posts "
                              "WHERE ticket_id = ? AND chat_id = ?", (number, chat_id))
        return int(row[0]) if row and row[0] is not None else None

    async def ticket_messages(self, number: int) -> list[tuple[str, str, str]]:
        """(direction, kind, masked text) of a ticket's messages, in order."""
        rows = await self._all("SELECT direction, kind, text FROM ticket_messages "
                               "WHERE ticket_id = ? ORDER BY id", (number,))
        return [(r[0], r[1], r[2]) for r in rows]

    async def last_staff_answer(self, number: int) -> str | None:
        row = await self._one(
            "SELECT text FROM ticket_messages WHERE ticket_id = ? AND direction = 'out' "
            "AND kind = 'text' ORDER BY id DESC LIMIT 1", (number,))
        return str(row[0]) if row else None

    async def asked(self, query_id: str) -> AskedQuestion | None:
        """The logged question `query_id` (flush first: the log is written in batches)."""
        row = await self._one("SELECT text, lang, region, suggestions FROM queries "
                              "WHERE query_id = ?", (query_id,))
        if row is None:
            return None
        try:
            offered = tuple(str(s) for s in json.loads(row[3] or "[]"))
        except (ValueError, TypeError):
            offered = ()
        return AskedQuestion(row[0], row[1], row[2], offered)

    async def last_query_id(self, user_id: int, since: dt.datetime) -> str | None:
        """The user's latest question after `since` (for /human), by their HMAC."""
        ref = self._user_ref(user_id)
        if ref is None:
            return None
        row = await self._one("SELECT query_id FROM queries WHERE user_ref = ? AND ts >= ? "
                              "ORDER BY ts DESC, id DESC LIMIT 1", (ref, ts_text(since)))
        return str(row[0]) if row else None

    # ------------------------------------------------------------------ writing

    async def open_ticket(self, *, user_id: int, chat_id: int, lang: str, region: str | None,
                          question: str, suggested: str = "", query_id: str | None = None,
                          now: dt.datetime | None = None) -> tuple[Ticket, bool]:
        """A new open ticket, or the resident's open one (`False`: nothing was created)."""
        ts = ts_text(now or utc_now())
        try:
            cur = await self._tx(
                "INSERT INTO tickets (user_ref, chat_id, lang, region, question, suggested, "
                "query_id, opened, last_activity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self._user_ref(user_id), chat_id, lang, region,
                 private_text(question, MAX_TICKET_TEXT), private_text(suggested),
                 query_id, ts, ts))
        except sqlite3.IntegrityError:
            existing = await self.open_ticket_of(chat_id)
            if existing is None:
                raise
            return existing, False
        created = await self.ticket(int(cur.lastrowid or 0))
        assert created is not None
        return created, True

    async def add_ticket_post(self, number: int, chat_id: int, message_id: int) -> None:
        await self._tx("INSERT OR IGNORE INTO ticket_posts (chat_id, message_id, ticket_id) "
                       "VALUES (?, ?, ?)", (chat_id, message_id, number))

    async def add_ticket_message(self, number: int, direction: str, kind: str, text: str,
                                 now: dt.datetime | None = None) -> None:
        """Record a message of the ticket; a staff one ('out') may be its first response."""
        ts = ts_text(now or utc_now())
        async with self._tx_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.execute(
                    "INSERT INTO ticket_messages (ticket_id, ts, direction, kind, text) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (number, ts, direction, kind, private_text(text, MAX_TICKET_TEXT)))
                await self._db.execute(
                    "UPDATE tickets SET last_activity = ?, first_response = CASE "
                    "WHEN ? = 'out' AND first_response IS NULL THEN ? ELSE first_response END "
                    "WHERE id = ?", (ts, direction, ts, number))
                await self._db.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise

    async def claim_ticket(self, number: int, staff_id: int) -> bool:
        """Mark an open ticket as taken by a staff member; False when it is not open."""
        cur = await self._tx("UPDATE tickets SET claimed_by = ? WHERE id = ? AND state = 'open'",
                             (self._user_ref(staff_id), number))
        return cur.rowcount > 0

    async def close_ticket(self, number: int, by: str,
                           now: dt.datetime | None = None) -> Ticket | None:
        """Close an open ticket (erasing the chat id); the ticket as it was while open, or
        None when it was not open (already closed, or unknown)."""
        if by not in CLOSERS:
            raise ValueError(f"unknown closer {by!r}")
        before = await self.ticket(number)
        if before is None or not before.is_open:
            return None
        cur = await self._tx(
            "UPDATE tickets SET state = 'closed', closed = ?, closed_by = ?, chat_id = NULL "
            "WHERE id = ? AND state = 'open'", (ts_text(now or utc_now()), by, number))
        return before if cur.rowcount > 0 else None

    async def rate_ticket(self, number: int, user_id: int, helpful: bool) -> bool:
        """The resident's 👍/👎 for the staff's help (the latest wins); False if not theirs."""
        cur = await self._tx("UPDATE tickets SET rating = ? WHERE id = ? AND user_ref = ?",
                             (int(helpful), number, self._user_ref(user_id)))
        return cur.rowcount > 0

    async def suggest_faq(self, number: int, staff_id: int,
                          now: dt.datetime | None = None) -> int | None:
        """Store the ticket's question and its last staff answer as a FAQ suggestion;
        None when there is no staff answer yet."""
        t = await self.ticket(number)
        answer = await self.last_staff_answer(number)
        if t is None or answer is None:
            return None
        cur = await self._tx(
            "INSERT INTO faq_suggestions (ts, ticket_id, lang, region, question, answer, "
            "staff_ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ts_text(now or utc_now()), number, t.lang, t.region, t.question, answer,
             self._user_ref(staff_id)))
        return int(cur.lastrowid or 0)

    # ------------------------------------------------------------------ reports

    async def faq_suggestions(self, period: Period) -> list[FaqSuggestion]:
        lo, hi = period.bounds()
        rows = await self._all("SELECT id, ts, ticket_id, lang, region, question, answer "
                               "FROM faq_suggestions WHERE ts >= ? AND ts < ? ORDER BY id",
                               (lo, hi))
        return [FaqSuggestion(*r) for r in rows]

    async def ticket_rows(self, period: Period) -> list[tuple[str, float | None, str | None,
                                                              str | None, int | None]]:
        """(UTC day opened, seconds to first response, state/closer, rating) per ticket."""
        lo, hi = period.bounds()
        rows = await self._all(
            "SELECT substr(opened, 1, 10), "
            "(julianday(first_response) - julianday(opened)) * 86400.0, "
            "state, closed_by, rating FROM tickets WHERE opened >= ? AND opened < ? "
            "ORDER BY opened", (lo, hi))
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
