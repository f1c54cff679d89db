"""Retention: how many questions are older than a cutoff, and deleting them (with their
votes and picks), old refusals and closed handoff tickets in short transactions."""

from __future__ import annotations

import datetime as dt

from bot.store.base import StoreBase
from bot.store.records import ts_text

PURGE_CHUNK = 5000


class PurgeMixin(StoreBase):
    """`count_older` and `purge`."""

    async def count_older(self, before: dt.datetime) -> int:
        row = await self._one("SELECT COUNT(*) FROM queries WHERE ts < ?", (ts_text(before),))
        return int(row[0])

    async def purge(self, before: dt.datetime, chunk: int = PURGE_CHUNK) -> dict[str, int]:
        """Delete questions (with their votes and picks), refusals, and handoff tickets
        closed before `before` (with their messages; FAQ suggestions made from them stay).

        Deletes in short transactions so a running bot's writer never waits long.
        """
        cutoff = ts_text(before)
        counts = {"queries": 0, "feedback": 0, "selections": 0, "denied": 0, "tickets": 0}
        old = "SELECT query_id FROM queries WHERE ts < ?"
        counts["feedback"] = int((await self._one(
            f"SELECT COUNT(*) FROM feedback WHERE query_id IN ({old})", (cutoff,)))[0])
        counts["selections"] = int((await self._one(
            f"SELECT COUNT(*) FROM selections WHERE query_id IN ({old})", (cutoff,)))[0])
        for table, key in (("queries", "queries"), ("denied", "denied")):
            while True:
                async with self._tx_lock:
                    await self._db.execute("BEGIN IMMEDIATE")
                    try:
                        cur = await self._db.execute(
                            f"DELETE FROM {table} WHERE id IN "
                            f"(SELECT id FROM {table} WHERE ts < ? ORDER BY id LIMIT ?)",
                            (cutoff, chunk))
                        await self._db.execute("COMMIT")
                    except BaseException:
                        await self._rollback()
                        raise
                counts[key] += max(cur.rowcount, 0)
                if cur.rowcount < chunk:
                    break
        async with self._tx_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                # Open tickets stay whatever their age: a resident may still be waiting.
                cur = await self._db.execute(
                    "DELETE FROM tickets WHERE state = 'closed' AND closed < ?", (cutoff,))
                await self._db.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
            counts["tickets"] = max(cur.rowcount, 0)
            await self._db.execute("DELETE FROM daily WHERE n <= 0")
        await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts
