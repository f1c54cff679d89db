"""How a batch from the write queue reaches the disk: the INSERT statements, the stored
row of a record (masked, truncated, pseudonymous: bot.store.privacy), one transaction per
batch with retries while another process holds the write lock, and row by row when one bad
record would otherwise take its batch with it."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.base import StoreBase, is_busy, is_medium_error
from bot.store.connection import StoreError
from bot.store.privacy import private_normalized, private_text
from bot.store.records import QueryRecord, ts_text

# Retries of a batch when another process holds the write lock longer than busy_timeout.
BUSY_RETRIES = (0.2, 1.0, 3.0)

_QUERY_COLUMNS = ("query_id", "ts", "channel", "chat_type", "user_ref", "lang", "region", "text",
                  "normalized", "status", "reason", "entry_id", "topic", "score", "suggestions",
                  "latency_ms")
_SQL_QUERY = (f"INSERT INTO queries ({', '.join(_QUERY_COLUMNS)}) VALUES "
              f"({', '.join('?' * len(_QUERY_COLUMNS))})")
# Rows per INSERT statement in a batch (16 columns x 100 rows, well under SQLite's limit of
# 32766 parameters).
ROWS_PER_INSERT = 100


@functools.lru_cache(maxsize=ROWS_PER_INSERT)
def _insert_sql(rows: int) -> str:
    """INSERT of `rows` rows in one statement (a fixed text, only placeholders: no data)."""
    one = "(" + ", ".join("?" * len(_QUERY_COLUMNS)) + ")"
    return _SQL_QUERY.split(" VALUES ")[0] + " VALUES " + ", ".join([one] * rows)
# Votes and picks for a query that is not (or no longer) logged are skipped, not errors:
# the callback data may outlive a purge.
_SQL_FEEDBACK = """
INSERT INTO feedback (query_id, entry_id, helpful, ts)
SELECT q.query_id,
       COALESCE(?, (SELECT s.entry_id FROM selections s
                     WHERE s.query_id = q.query_id ORDER BY s.id DESC LIMIT 1), q.entry_id),
       ?, ?
FROM queries q WHERE q.query_id = ?
ON CONFLICT (query_id, entry_id) DO UPDATE SET helpful = excluded.helpful, ts = excluded.ts
"""
_SQL_SELECTION = """
INSERT INTO selections (query_id, entry_id, ts)
SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM queries WHERE query_id = ?)
"""
_SQL_DENIED = "INSERT INTO denied (ts, user_ref, command) VALUES (?, ?, ?)"
_SQL = {"query": _SQL_QUERY, "feedback": _SQL_FEEDBACK, "selection": _SQL_SELECTION,
        "denied": _SQL_DENIED}


def _json_ids(ids: Sequence[str]) -> str:
    if not ids:
        return "[]"
    return json.dumps(list(ids), ensure_ascii=False, separators=(",", ":"))


class BatchMixin(StoreBase):
    """Commits batches of queued records and counts what was written or skipped."""

    def __init__(self, db: aiosqlite.Connection, path: Path, secret: str | None) -> None:
        super().__init__(db, path, secret)
        self.written = 0  # records committed
        self.skipped = 0  # votes/picks for a query id that is not in the log

    def _query_row(self, rec: QueryRecord) -> tuple[Any, ...]:
        """The stored row of a record: masked, truncated, pseudonymous.

        Runs in the database thread (executemany consumes a generator there), so masking
        costs the event loop nothing.
        """
        return (
            rec.query_id, ts_text(rec.ts), rec.channel, rec.chat_type, self._user_ref(rec.user_id),
            rec.lang, rec.region, private_text(rec.text),
            private_normalized(rec.normalized, rec.text),
            rec.status, rec.reason, rec.entry_id, rec.topic, float(rec.score),
            _json_ids(rec.suggestions), round(float(rec.latency_ms), 3),
        )

    async def _write(self, batch: list[tuple[str, Any]]) -> None:
        # Runs of one kind keep the order: a vote after a pick rates the picked entry.
        runs: list[tuple[str, list[Any]]] = []
        for kind, row in batch:
            if runs and runs[-1][0] == kind:
                runs[-1][1].append(row)
            else:
                runs.append((kind, [row]))
        error: Exception = StoreError("not attempted")
        for delay in (*BUSY_RETRIES, None):
            async with self._tx_lock:
                try:
                    await self._db.execute("BEGIN IMMEDIATE")
                    changed = 0
                    for kind, rows in runs:
                        if kind == "query":
                            await self._insert_queries(rows)
                            continue
                        cur = await self._db.executemany(_SQL[kind], rows)
                        if kind in ("feedback", "selection"):
                            changed += len(rows) - max(cur.rowcount, 0)
                    await self._db.execute("COMMIT")
                except Exception as exc:
                    await self._rollback()
                    error = exc
                else:
                    self.written += len(batch) - changed
                    self.skipped += changed
                    self._recovered()
                    return
            if is_busy(error) and delay is not None:
                await asyncio.sleep(delay)
                continue
            break
        if is_medium_error(error) or is_busy(error) or len(batch) == 1:
            self._failed(error, len(batch))
            return
        # A bad record (e.g. a duplicate query id) must not take its batch with it.
        await self._write_one_by_one(batch)

    async def _insert_queries(self, recs: list[QueryRecord]) -> None:
        """executemany over statements of ROWS_PER_INSERT rows each (and one for the rest).

        Why not one row per parameter set: sqlite3 releases and re-takes the GIL around
        every statement step, and while the event loop is busy each re-take can wait for
        the interpreter's switch interval (5 ms); measured with a busy loop, one row per step
        managed ~1,700 rows/s, 100 rows per step ~10,000. The parameters are built by a
        generator that runs in the database thread, so masking costs the event loop nothing.
        """
        n = ROWS_PER_INSERT
        full = len(recs) - len(recs) % n
        if full:
            await self._db.executemany(_insert_sql(n), (
                list(itertools.chain.from_iterable(map(self._query_row, recs[i:i + n])))
                for i in range(0, full, n)))
        if full < len(recs):
            rest = recs[full:]
            await self._db.executemany(_insert_sql(len(rest)), (
                list(itertools.chain.from_iterable(map(self._query_row, rest))) for _ in (1,)))

    async def _write_one_by_one(self, batch: list[tuple[str, Any]]) -> None:
        for kind, row in batch:
            async with self._tx_lock:
                try:
                    params = self._query_row(row) if kind == "query" else row
                    cur = await self._db.execute(_SQL[kind], params)
                except Exception as exc:
                    self._failed(exc, 1)
                    continue
            if kind in ("feedback", "selection") and cur.rowcount == 0:
                self.skipped += 1
            else:
                self.written += 1
