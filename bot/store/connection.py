"""Opening the query log: the file and its directory, connection settings (WAL,
synchronous=NORMAL, busy timeout), schema migrations (bot.store.migrations) and the write
probe that tells at open, not at the first question, whether the log is writable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite

from bot.store import migrations as store_migrations
from bot.store.base import StoreBase, is_medium_error, log
from bot.store.privacy import secret_check
from bot.store.records import ts_text, utc_now

BUSY_TIMEOUT_MS = 5000


class StoreError(RuntimeError):
    """The query log cannot be opened or used as asked; the message says why."""


async def connect(path: Path) -> aiosqlite.Connection:
    """The connection to the log at `path` (its directory created); StoreError if not."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the directory of {path}: {exc}") from exc
    try:
        return await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the query log {path}: {exc}") from exc


class ConnectionMixin(StoreBase):
    """Settings, migrations and the write probe, run once by `QueryStore.open`."""

    async def _prepare(self, probe: bool) -> None:
        db = self._db
        try:
            version = (await self._one("PRAGMA user_version"))[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a query log database: {exc}") from exc
        if version > store_migrations.LATEST:
            raise StoreError(
                f"{self.path} has schema v{version}, newer than this program "
                f"(v{store_migrations.LATEST}); upgrade the bot"
            )
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("PRAGMA temp_store = MEMORY")
        await db.execute("PRAGMA cache_size = -32000")  # 32 MB: the reports sort and group
        mode = (await self._one("PRAGMA journal_mode = WAL"))[0]
        if str(mode).lower() != "wal":
            log.warning("query log %s: journal mode is %s, not WAL", self.path, mode)
        await self._migrate(version)
        if probe:
            await self._probe()

    async def _probe(self) -> None:
        """Write once at open (the time of opening, the secret check) to learn now, not at
        the first question, whether the log is writable. A read-only log still opens: the
        bot keeps answering, reports work, and records are counted as dropped."""
        check = secret_check(self._secret) if self._secret is not None else None
        try:
            async with self._tx_lock:
                await self._db.execute("BEGIN IMMEDIATE")
                try:
                    row = await self._one("SELECT value FROM meta WHERE key = 'secret_check'")
                    if check is not None and row is not None and row[0] != check:
                        log.warning("the HMAC secret differs from the one %s was written with: "
                                    "user references before and after now cannot be linked",
                                    self.path)
                    sql = ("INSERT INTO meta (key, value) VALUES (?, ?) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                    await self._db.execute(sql, ("opened", ts_text(utc_now())))
                    if check is not None:
                        await self._db.execute(sql, ("secret_check", check))
                    await self._db.execute("COMMIT")
                except BaseException:
                    await self._rollback()
                    raise
        except sqlite3.Error as exc:
            if not is_medium_error(exc):
                raise StoreError(f"cannot use the query log {self.path}: {exc}") from exc
            self._failing = True
            log.error("query log %s is not writable (%s): questions will not be recorded "
                      "(counted as dropped); the bot keeps answering", self.path, exc)

    async def _migrate(self, version: int) -> None:
        for n, statements in store_migrations.pending(version):
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                for sql in statements:
                    await self._db.execute(sql)
                await self._db.execute(f"PRAGMA user_version = {int(n)}")
                await self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                await self._rollback()
                raise StoreError(f"migrating {self.path} to v{n} failed: {exc}") from exc
            log.info("query log %s migrated to schema v%d", self.path, n)
