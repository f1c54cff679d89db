"""The SQL read side of the query log: the counts and lists the staff reports
(bot.staff) are built from, the export, and table counts and checks for tests and ops.
Whole days are counted from the `daily` table the triggers keep (bot.store.migrations)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from bot.store.base import StoreBase
from bot.store.records import Period

_UNANSWERED = """
WHERE q.status IN ('fallback', 'clarify') AND q.ts >= ? AND q.ts < ? AND q.normalized <> ''
  AND (q.status = 'fallback'
       OR NOT EXISTS (SELECT 1 FROM selections s WHERE s.query_id = q.query_id))
"""

EXPORT_COLUMNS = ("ts", "query_id", "channel", "chat_type", "user_ref", "lang", "region",
                  "status", "reason", "entry_id", "topic", "score", "suggestions",
                  "latency_ms", "selected", "helpful", "text", "normalized")
_SQL_EXPORT = """
SELECT q.ts, q.query_id, q.channel, q.chat_type, q.user_ref, q.lang, q.region, q.status,
       q.reason, q.entry_id, q.topic, q.score, q.suggestions, q.latency_ms,
       (SELECT s.entry_id FROM selections s WHERE s.query_id = q.query_id
         ORDER BY s.id DESC LIMIT 1),
       (SELECT f.helpful FROM feedback f WHERE f.query_id = q.query_id
         ORDER BY f.ts DESC LIMIT 1),
       q.text, q.normalized
FROM queries q WHERE q.ts >= ? AND q.ts < ? ORDER BY q.ts, q.id
"""


@dataclass(frozen=True)
class UnansweredText:
    """One normalized question that went unanswered, with how often and when."""

    normalized: str
    count: int
    first_seen: str
    last_seen: str
    example: str
    lang: str
    offered: tuple[str, ...]


class ReportsMixin(StoreBase):
    """Read-only queries: they take a `Period` and return rows or plain values."""

    async def schema_version(self) -> int:
        return int((await self._one("PRAGMA user_version"))[0])

    async def integrity_check(self) -> str:
        return str((await self._one("PRAGMA integrity_check"))[0])

    async def count(self, table: str = "queries") -> int:
        if table not in ("queries", "feedback", "selections", "denied", "prefs"):
            raise ValueError(f"unknown table {table!r}")
        return int((await self._one(f"SELECT COUNT(*) FROM {table}"))[0])

    async def unanswered_texts(self, period: Period,
                               limit: int) -> tuple[list[UnansweredText], int, int]:
        """Fallback and unresolved clarify questions by normalized text, most frequent first,
        plus how many distinct texts and questions there were in all."""
        lo, hi = period.bounds()
        rows = await self._all(
            "SELECT q.normalized, COUNT(*) AS n, MIN(q.ts), MAX(q.ts), MAX(q.text), MAX(q.lang),"
            " MAX(q.suggestions), COUNT(*) OVER (), SUM(COUNT(*)) OVER ()"
            f" FROM queries q {_UNANSWERED} GROUP BY q.normalized"
            " ORDER BY n DESC, MAX(q.ts) DESC LIMIT ?",
            (lo, hi, limit),
        )
        out = [UnansweredText(r[0], r[1], r[2], r[3], r[4], r[5], tuple(_json_list(r[6])))
               for r in rows]
        distinct = int(rows[0][7]) if rows else 0
        total = int(rows[0][8]) if rows else 0
        return out, distinct, total

    async def feedback_by_entry(self, period: Period,
                                limit: int) -> list[tuple[str, int, int, str]]:
        """(entry_id, unhelpful, helpful, last vote) for entries with an unhelpful vote."""
        lo, hi = period.bounds()
        rows = await self._all(
            "SELECT entry_id, SUM(helpful = 0) AS bad, SUM(helpful = 1) AS good, MAX(ts)"
            " FROM feedback WHERE ts >= ? AND ts < ? AND entry_id IS NOT NULL"
            " GROUP BY entry_id HAVING bad > 0 ORDER BY bad DESC, good ASC, entry_id LIMIT ?",
            (lo, hi, limit),
        )
        return [(r[0], int(r[1]), int(r[2]), r[3]) for r in rows]

    async def unhelpful_questions(self, entry_id: str, period: Period,
                                  limit: int) -> list[tuple[str, int]]:
        """The questions whose answer `entry_id` was voted unhelpful, most frequent first."""
        lo, hi = period.bounds()
        rows = await self._all(
            "SELECT MAX(q.text), COUNT(*) AS n FROM feedback f"
            " JOIN queries q ON q.query_id = f.query_id"
            " WHERE f.entry_id = ? AND f.helpful = 0 AND f.ts >= ? AND f.ts < ?"
            " GROUP BY q.normalized ORDER BY n DESC, MAX(f.ts) DESC LIMIT ?",
            (entry_id, lo, hi, limit),
        )
        return [(r[0], int(r[1])) for r in rows]

    async def entry_counts(self, period: Period) -> list[tuple[str, int, int]]:
        """(entry_id, answered directly, picked from suggestions) for every entry asked."""
        answered: Counter[str] = Counter()
        full, edges = period.split_days()
        if full is not None:
            for eid, n in await self._all(
                    "SELECT entry_id, SUM(n) FROM daily WHERE entry_id <> '' AND day >= ?"
                    " AND day < ? GROUP BY entry_id", full):
                answered[eid] += int(n)
        for lo, hi in edges:
            for eid, n in await self._all(
                    "SELECT entry_id, COUNT(*) FROM queries WHERE entry_id IS NOT NULL"
                    " AND ts >= ? AND ts < ? GROUP BY entry_id", (lo, hi)):
                answered[eid] += int(n)
        lo, hi = period.bounds()
        picked = dict(await self._all(
            "SELECT entry_id, COUNT(*) FROM selections WHERE ts >= ? AND ts < ?"
            " GROUP BY entry_id", (lo, hi)))
        return [(eid, answered.get(eid, 0), int(picked.get(eid, 0)))
                for eid in sorted(set(answered) | set(picked))]

    async def entry_topics(self, entry_ids: Iterable[str]) -> dict[str, str]:
        """The topic each entry was logged under (for entries the KB no longer has)."""
        out: dict[str, str] = {}
        for eid in entry_ids:
            row = await self._one(
                "SELECT topic FROM daily WHERE entry_id = ? AND topic <> '' LIMIT 1", (eid,))
            if row:
                out[eid] = row[0]
        return out

    async def stats_cube(self, period: Period) -> list[tuple[str, str, str | None, str | None,
                                                             str, int, float]]:
        """Counts by (UTC day, status, topic, region, lang), with the summed latency.

        Whole days come from the `daily` table the triggers keep; only the partial days at
        the ends of the period are counted from the questions themselves.
        """
        cube: dict[tuple[str, str, str | None, str | None, str], list[float]] = {}

        def add(rows: Iterable[Any]) -> None:
            for day, status, topic, region, lang, n, ms in rows:
                key = (day, status, topic or None, region or None, lang)
                acc = cube.setdefault(key, [0, 0.0])
                acc[0] += int(n)
                acc[1] += float(ms or 0.0)

        full, edges = period.split_days()
        if full is not None:
            add(await self._all(
                "SELECT day, status, topic, region, lang, SUM(n), SUM(latency_ms) FROM daily"
                " WHERE day >= ? AND day < ? GROUP BY 1, 2, 3, 4, 5", full))
        for lo, hi in edges:
            add(await self._all(
                "SELECT substr(ts, 1, 10), status, topic, region, lang, COUNT(*),"
                " SUM(latency_ms) FROM queries WHERE ts >= ? AND ts < ? GROUP BY 1, 2, 3, 4, 5",
                (lo, hi)))
        return [(*key, int(v[0]), float(v[1])) for key, v in sorted(
            cube.items(), key=lambda kv: tuple(x or "" for x in kv[0]))]

    async def event_totals(self, period: Period) -> dict[str, int]:
        """Votes, picks and refused staff commands in the period."""
        lo, hi = period.bounds()
        fb = await self._one(
            "SELECT COALESCE(SUM(helpful = 1), 0), COALESCE(SUM(helpful = 0), 0) FROM feedback"
            " WHERE ts >= ? AND ts < ?", (lo, hi))
        sel = await self._one("SELECT COUNT(*) FROM selections WHERE ts >= ? AND ts < ?", (lo, hi))
        den = await self._one("SELECT COUNT(*) FROM denied WHERE ts >= ? AND ts < ?", (lo, hi))
        return {"helpful": int(fb[0]), "unhelpful": int(fb[1]), "selections": int(sel[0]),
                "denied": int(den[0])}

    async def export_rows(self, period: Period,
                          chunk: int = 5000) -> AsyncIterator[list[tuple[Any, ...]]]:
        """The masked log, oldest first, in chunks of rows (columns: EXPORT_COLUMNS)."""
        lo, hi = period.bounds()
        async with self._db.execute(_SQL_EXPORT, (lo, hi)) as cur:
            while True:
                rows = await cur.fetchmany(chunk)
                if not rows:
                    return
                yield [tuple(r) for r in rows]


def _json_list(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
