"""Opening the query log: the file and its directory, connection settings (WAL,
synchronous=NORMAL, busy timeout), schema migrations (bot.store.migrations) and the write
probe that tells at open, not at the first question, whether the log is writable.

Reports open it read-only instead (`mode=ro`): no directory or file is created, the journal
mode is left as it is and nothing is migrated, so they work on a read-only copy, on a copy
in rollback-journal mode, and never change the file they read."""

from __future__ import annotations

import sqlite3
import urllib.parse
from pathlib import Path

import aiosqlite

from bot.store import migrations as store_migrations
from bot.store.base import StoreBase, is_medium_error, log
from bot.store.privacy import secret_check
from bot.store.records import ts_text, utc_now

BUSY_TIMEOUT_MS = 5000


class StoreError(RuntimeError):
    """The query log cannot be opened or used as asked; the message says why."""


async def connect(path: Path, *, read_only: bool = False,
                  immutable: bool = False) -> aiosqlite.Connection:
    """The connection to the log at `path` (its directory created); StoreError if not.

    `read_only` opens the existing file with `mode=ro`; `immutable` also tells SQLite that
    nobody writes the file, for a WAL-mode copy in a directory where SQLite cannot create
    its shared-memory file (a read-only copy nobody writes).
    """
    if read_only:
        query = "mode=ro" + ("&immutable=1" if immutable else "")
        uri = f"file:{urllib.parse.quote(str(path.absolute()))}?{query}"
        try:
            return await aiosqlite.connect(uri, uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the query log {path}: {exc}") from exc
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the directory of {path}: {exc}") from exc
    try:
        return await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the query log {path}: {exc}") from exc


class ReadOnlyOpenError(StoreError):
    """A read-only open failed before reading anything (e.g. a WAL log in a directory where
    SQLite cannot create its shared-memory file); retried as immutable."""


def _cannot_open(exc: BaseException) -> bool:
    return getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY"))


class ConnectionMixin(StoreBase):
    """Settings, migrations and the write probe, run once by `QueryStore.open`."""

    async def _prepare(self, probe: bool, read_only: bool = False) -> None:
        db = self._db
        try:
            version = (await self._one("PRAGMA user_version"))[0]
        except sqlite3.DatabaseError as exc:
            if read_only and _cannot_open(exc):
                raise ReadOnlyOpenError(f"cannot open the query log {self.path}: {exc}") from exc
            raise StoreError(f"{self.path} is not a query log database: {exc}") from exc
        if not isinstance(version, int) or version < 0:
            # user_version is any 32-bit integer; ours are 0..LATEST.
            raise StoreError(f"{self.path} has schema version {version}, which no version of "
                             "this program writes: it is not a query log database")
        if version > store_migrations.LATEST:
            raise StoreError(
                f"{self.path} has schema v{version}, newer than this program "
                f"(v{store_migrations.LATEST}); upgrade the bot"
            )
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if read_only:
            await db.execute("PRAGMA temp_store = MEMORY")
            await db.execute("PRAGMA cache_size = -32000")
            if version < store_migrations.LATEST:
                raise StoreError(
                    f"{self.path} has schema v{version}, older than this program "
                    f"(v{store_migrations.LATEST}), and reports never change the log: start "
                    "the bot (or run `python -m bot purge`) once to migrate it")
            return
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
