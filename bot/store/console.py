"""The SQL of the staff console (bot/console): used sign-in nonces, server-side sessions,
dismissed unanswered groups, the log of FAQ changes, and the reads its pages need beyond
the review reports (question search, per-hour and per-day vote counts, an entry's
activity). Tables from migration 4 (bot.store.migrations). Parameterized SQL only."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bot.store.base import StoreBase
from bot.store.records import Period, ts_text, utc_now
from bot.store.reports import EXPORT_COLUMNS

STATUSES = ("answer", "clarify", "fallback")
# A session's last_seen is rewritten at most this often (not at every page view).
TOUCH_EVERY = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class QuestionFilter:
    """What the Questions page (and its CSV) selects. Empty fields select everything."""

    period: Period = field(default_factory=Period)
    text: str = ""
    status: str = ""
    entry_id: str = ""
    region: str = ""
    lang: str = ""

    def where(self) -> tuple[str, list[Any]]:
        lo, hi = self.period.bounds()
        sql = ["q.ts >= ?", "q.ts < ?"]
        params: list[Any] = [lo, hi]
        if self.text.strip():
            term = self.text.strip()
            for ch in ("\\", "%", "_"):
                term = term.replace(ch, "\\" + ch)
            sql.append("q.text LIKE ? ESCAPE '\\'")
            params.append(f"%{term}%")
        if self.status in STATUSES:
            sql.append("q.status = ?")
            params.append(self.status)
        if self.entry_id:
            sql.append("q.entry_id = ?")
            params.append(self.entry_id)
        if self.region:
            sql.append("q.region = ?")
            params.append(self.region)
        if self.lang:
            sql.append("q.lang = ?")
            params.append(self.lang)
        return " AND ".join(sql), params


@dataclass(frozen=True)
class LoggedQuestion:
    ts: str
    text: str  # masked
    lang: str
    region: str | None
    status: str
    entry_id: str | None
    selected: str | None
    helpful: int | None


@dataclass(frozen=True)
class Session:
    staff_id: int
    csrf: str


_SELECTED = ("(SELECT s.entry_id FROM selections s WHERE s.query_id = q.query_id"
             " ORDER BY s.id DESC LIMIT 1)")
_HELPFUL = ("(SELECT f.helpful FROM feedback f WHERE f.query_id = q.query_id"
            " ORDER BY f.ts DESC LIMIT 1)")


class ConsoleMixin(StoreBase):
    """Sign-in, sessions, dismissals, the FAQ change log, and the console's reads."""

    async def _exec_write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One statement in its own immediate transaction; the number of rows changed."""
        async with self._tx_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = await self._db.execute(sql, params)
                n = cur.rowcount
                await self._db.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
        return int(n)

    # ------------------------------------------------------------------ sign-in, sessions

    async def use_nonce(self, nonce: str, staff_id: int, expires: dt.datetime) -> bool:
        """Record a sign-in link's nonce as used: True the first time, False ever after."""
        now = ts_text(utc_now())
        async with self._tx_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.execute("DELETE FROM console_nonces WHERE expires < ?", (now,))
                try:
                    await self._db.execute(
                        "INSERT INTO console_nonces (nonce, staff_id, used, expires)"
                        " VALUES (?, ?, ?, ?)", (nonce, staff_id, now, ts_text(expires)))
                    fresh = True
                except sqlite3.IntegrityError:
                    fresh = False
                await self._db.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
        return fresh

    async def create_session(self, token_hash: str, staff_id: int, csrf: str) -> None:
        now = ts_text(utc_now())
        await self._exec_write("INSERT INTO console_sessions (token_hash, staff_id, csrf, created,"
                          " last_seen) VALUES (?, ?, ?, ?, ?)",
                          (token_hash, staff_id, csrf, now, now))

    async def session(self, token_hash: str, idle: dt.timedelta) -> Session | None:
        """The live session of that cookie hash (its idle time renewed), else None."""
        row = await self._one("SELECT staff_id, csrf, last_seen FROM console_sessions"
                              " WHERE token_hash = ?", (token_hash,))
        if row is None:
            return None
        now = utc_now()
        if row[2] < ts_text(now - idle):
            await self.end_session(token_hash)
            return None
        if row[2] < ts_text(now - TOUCH_EVERY):
            await self._exec_write("UPDATE console_sessions SET last_seen = ? WHERE token_hash = ?",
                              (ts_text(now), token_hash))
        return Session(int(row[0]), str(row[1]))

    async def end_session(self, token_hash: str) -> None:
        await self._exec_write("DELETE FROM console_sessions WHERE token_hash = ?", (token_hash,))

    async def end_sessions_except(self, staff_ids: frozenset[int]) -> int:
        """Sign out everyone no longer in BOT_STAFF_IDS; how many sessions ended."""
        ids = sorted(staff_ids)
        marks = ", ".join("?" * len(ids)) or "NULL"
        return await self._exec_write(
            f"DELETE FROM console_sessions WHERE staff_id NOT IN ({marks})", tuple(ids))

    # ------------------------------------------------------------------ dismissed groups

    async def dismiss(self, group_key: str, example: str, staff_id: int) -> None:
        await self._exec_write(
            "INSERT INTO console_dismissed (group_key, example, staff_id, ts) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (group_key) DO UPDATE SET staff_id = excluded.staff_id,"
            " ts = excluded.ts", (group_key, example, staff_id, ts_text(utc_now())))

    async def dismissed(self) -> dict[str, tuple[str, int, str]]:
        """group key -> (example, staff id, when)."""
        rows = await self._all("SELECT group_key, example, staff_id, ts FROM console_dismissed"
                               " ORDER BY ts DESC")
        return {r[0]: (r[1], int(r[2]), r[3]) for r in rows}

    # ------------------------------------------------------------------ FAQ change log

    async def record_faq_change(self, staff_id: int, entry_id: str, file: str,
                                diff: str) -> None:
        await self._exec_write("INSERT INTO faq_changes (ts, staff_id, entry_id, file, diff)"
                          " VALUES (?, ?, ?, ?, ?)",
                          (ts_text(utc_now()), staff_id, entry_id, file, diff))

    async def faq_changes(self, limit: int = 50) -> list[tuple[str, int, str, str, str]]:
        """(when, staff id, entry, file, diff), newest first."""
        rows = await self._all("SELECT ts, staff_id, entry_id, file, diff FROM faq_changes"
                               " ORDER BY id DESC LIMIT ?", (limit,))
        return [(r[0], int(r[1]), r[2], r[3], r[4]) for r in rows]

    # ------------------------------------------------------------------ page reads

    async def hourly_counts(self, period: Period) -> dict[int, int]:
        """Questions per UTC hour of the day (0-23) in the period."""
        lo, hi = period.bounds()
        rows = await self._all("SELECT CAST(substr(ts, 12, 2) AS INTEGER), COUNT(*)"
                               " FROM queries WHERE ts >= ? AND ts < ? GROUP BY 1", (lo, hi))
        return {int(h): int(n) for h, n in rows}

    async def votes_per_day(self, period: Period) -> list[tuple[str, int, int]]:
        """(UTC day, 👍, 👎) for each day with a vote."""
        lo, hi = period.bounds()
        rows = await self._all("SELECT substr(ts, 1, 10), SUM(helpful = 1), SUM(helpful = 0)"
                               " FROM feedback WHERE ts >= ? AND ts < ? GROUP BY 1 ORDER BY 1",
                               (lo, hi))
        return [(r[0], int(r[1]), int(r[2])) for r in rows]

    async def search_questions(self, flt: QuestionFilter, offset: int,
                               limit: int) -> list[LoggedQuestion]:
        """The filtered log, newest first, one page (ask for one more to know if more follow)."""
        where, params = flt.where()
        rows = await self._all(
            f"SELECT q.ts, q.text, q.lang, q.region, q.status, q.entry_id, {_SELECTED},"
            f" {_HELPFUL} FROM queries q WHERE {where} ORDER BY q.ts DESC, q.id DESC"
            " LIMIT ? OFFSET ?", (*params, limit, offset))
        return [LoggedQuestion(*r) for r in rows]

    async def export_filtered(self, flt: QuestionFilter,
                              chunk: int = 5000) -> AsyncIterator[list[tuple[Any, ...]]]:
        """Like `export_rows` (same columns, oldest first) for a filter."""
        where, params = flt.where()
        sql = (
            "SELECT q.ts, q.query_id, q.channel, q.chat_type, q.user_ref, q.lang, q.region,"
            " q.status, q.reason, q.entry_id, q.topic, q.score, q.suggestions, q.latency_ms,"
            f" {_SELECTED}, {_HELPFUL}, q.text, q.normalized"
            f" FROM queries q WHERE {where} ORDER BY q.ts, q.id")
        assert len(EXPORT_COLUMNS) == 18
        async with self._db.execute(sql, params) as cur:
            while True:
                rows = await cur.fetchmany(chunk)
                if not rows:
                    return
                yield [tuple(r) for r in rows]

    async def entry_activity(self, entry_id: str) -> dict[str, int]:
        """All-time counts for one entry: answered directly, picked, 👍, 👎."""
        asked = await self._one("SELECT COALESCE(SUM(n), 0) FROM daily WHERE entry_id = ?",
                                (entry_id,))
        picked = await self._one("SELECT COUNT(*) FROM selections WHERE entry_id = ?",
                                 (entry_id,))
        votes = await self._one("SELECT COALESCE(SUM(helpful = 1), 0),"
                                " COALESCE(SUM(helpful = 0), 0) FROM feedback"
                                " WHERE entry_id = ?", (entry_id,))
        return {"answered": int(asked[0]), "picked": int(picked[0]), "helpful": int(votes[0]),
                "unhelpful": int(votes[1])}

    async def recent_for_entry(self, entry_id: str, limit: int = 20) -> list[LoggedQuestion]:
        """The latest questions answered with the entry."""
        rows = await self._all(
            f"SELECT q.ts, q.text, q.lang, q.region, q.status, q.entry_id, {_SELECTED},"
            f" {_HELPFUL} FROM queries q WHERE q.entry_id = ? ORDER BY q.ts DESC LIMIT ?",
            (entry_id, limit))
        return [LoggedQuestion(*r) for r in rows]

    async def distinct_values(self, column: str) -> list[str]:
        """The regions or languages seen in the log (for the search form's choices)."""
        if column not in ("region", "lang"):
            raise ValueError(column)
        rows = await self._all(f"SELECT DISTINCT {column} FROM daily WHERE {column} <> ''"
                               f" ORDER BY 1")
        return [r[0] for r in rows]
