"""What every part of `QueryStore` shares: the one connection, the lock that serializes
write transactions on it, the HMAC of user ids, and the outage state (one error line per
outage, counted drops). The parts (connection, writer, prefs, reports, purge) are mixins
over `StoreBase`; bot.store.querystore composes them."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.privacy import user_ref

# One logger for the whole query log, under the name it has always had (log lines show it,
# and logging configurations and the store benchmark refer to it).
log = logging.getLogger("bot.store.querystore")

# SQLite errors after which writing row by row cannot help: the medium is the problem.
_MEDIUM_ERRORS = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN",
                  "SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_PERM")
_BUSY_ERRORS = ("SQLITE_BUSY", "SQLITE_LOCKED")


def _errname(exc: BaseException) -> str:
    return getattr(exc, "sqlite_errorname", "") or ""


def is_medium_error(exc: BaseException) -> bool:
    name = _errname(exc)
    return any(name.startswith(p) for p in _MEDIUM_ERRORS) or isinstance(exc, OSError)


def is_busy(exc: BaseException) -> bool:
    return any(_errname(exc).startswith(p) for p in _BUSY_ERRORS)


class StoreBase:
    """The state the parts of the query log share, and the helpers they all use."""

    _db: aiosqlite.Connection
    path: Path
    _secret: str | None
    _ref: Callable[[int | str], str]
    _tx_lock: asyncio.Lock
    _closed: bool
    _failing: bool
    _no_secret_logged: bool
    dropped: int
    write_errors: int

    def __init__(self, db: aiosqlite.Connection, path: Path, secret: str | None) -> None:
        self._db = db
        self.path = path
        self._secret = secret
        self._ref = functools.lru_cache(maxsize=65536)(functools.partial(user_ref, secret or ""))
        # Serializes write transactions on the one connection (batches, prefs, purge).
        self._tx_lock = asyncio.Lock()
        self._closed = False
        self._failing = False  # inside a write outage (error already logged)
        self._no_secret_logged = False
        self.dropped = 0  # records that could not be written (disk full, read-only, bad row)
        self.write_errors = 0  # failed write attempts

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._db.execute(sql, params) as cur:
            return await cur.fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(await self._db.execute_fetchall(sql, params))

    async def _rollback(self) -> None:
        # SQLite may have rolled back already (disk full, I/O error), or nothing was begun.
        with contextlib.suppress(sqlite3.Error):
            await self._db.execute("ROLLBACK")

    def _user_ref(self, user_id: int | str | None) -> str | None:
        if user_id is None:
            return None
        if self._secret is None:
            # Opened for reports (no secret): never store an id, not even hashed without key.
            if not self._no_secret_logged:
                self._no_secret_logged = True
                log.warning("query log %s was opened without an HMAC secret: user references "
                            "are not recorded", self.path)
            return None
        return self._ref(user_id)

    def _failed(self, exc: BaseException, n: int) -> None:
        self.write_errors += 1
        self.dropped += n
        if not self._failing:
            self._failing = True
            log.error("query log: cannot write to %s (%s: %s); the bot keeps answering and "
                      "counts the records it cannot write", self.path, type(exc).__name__, exc)
        else:
            log.debug("query log still failing: %s (dropped=%d)", exc, self.dropped)

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            log.warning("query log: writing to %s works again; %d records were lost in all",
                        self.path, self.dropped)
