"""The query log: every question, vote and pick, in SQLite, private and never blocking.

The only package (with bot.bench.store) that touches the database. One long-lived aiosqlite
connection in WAL mode; writes go through a bounded queue committed in batches by one
writer task, so answering a resident never waits on disk (bot.store.writer). Text is masked
and user ids become HMACs before anything is written (bot.store.privacy).

`QueryStore` is composed of one part per file, all sharing the connection (bot.store.base):

- bot.store.connection: open, settings, migrations, write probe (and `StoreError`);
- bot.store.writer, bot.store.batches: `log_*`, `flush`, the queue and writer task;
- bot.store.prefs: `get_prefs`, `set_prefs`;
- bot.store.reports: the SQL the staff reports read, the export, counts and checks;
- bot.store.purge: `count_older`, `purge`;
- bot.store.tickets: the human handoff's tickets, their messages and FAQ suggestions.
- bot.store.console: the staff console's sign-in, sessions, dismissals, FAQ change log
  and page reads.

What is logged (`QueryRecord`) and the `Period` every report takes are in bot.store.records.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from bot.store.connection import ConnectionMixin, ReadOnlyOpenError, connect
from bot.store.console import ConsoleMixin
from bot.store.prefs import PrefsMixin
from bot.store.purge import PurgeMixin
from bot.store.reports import ReportsMixin
from bot.store.tickets import TicketsMixin
from bot.store.writer import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_FLUSH_INTERVAL,
    DEFAULT_MAX_QUEUE,
    WriterMixin,
)


class QueryStore(ConnectionMixin, WriterMixin, PrefsMixin, ReportsMixin, PurgeMixin,
                 TicketsMixin, ConsoleMixin):
    """The query log. Create with `await QueryStore.open(...)`; always `await close()`.

    The constructor is WriterMixin's (connection, path, secret and the queue's settings).
    """

    @classmethod
    async def open(
        cls,
        path: str | Path,
        secret: str | None,
        *,
        max_queue: int = DEFAULT_MAX_QUEUE,
        batch_size: int = DEFAULT_BATCH_SIZE,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        writer: bool = True,
        read_only: bool = False,
    ) -> QueryStore:
        """Open (creating and migrating as needed) the log at `path`.

        `secret` is the HMAC secret (see bot.store.privacy.resolve_secret); None opens the log for
        reports and purging (records are then stored without a user reference).
        `writer=False` is for reports and purge: no writer task and no write at open, so a
        read-only copy of the log can be reported on. `read_only` (reports) opens the file
        with `mode=ro`: nothing is created, migrated or changed (implies writer=False).
        Raises StoreError when the file cannot be used.
        """
        if max_queue < 1 or batch_size < 1 or flush_interval <= 0:
            raise ValueError("max_queue, batch_size and flush_interval must be positive")
        path = Path(path)
        writer = writer and not read_only
        for immutable in (False, True) if read_only else (False,):
            db = await connect(path, read_only=read_only, immutable=immutable)
            store = cls(db, path, secret, max_queue=max_queue, batch_size=batch_size,
                        flush_interval=flush_interval)
            try:
                await store._prepare(probe=writer, read_only=read_only)
            except ReadOnlyOpenError:
                await db.close()
                if immutable:
                    raise
                continue
            except BaseException:
                await db.close()
                raise
            break
        if writer:
            store._start_writer()
        return store

    async def close(self) -> None:
        """Write everything queued, then close the connection."""
        if self._closed:
            return
        await self._stop_writer()
        self._closed = True
        if self._writer is not None and not self._failing:
            with contextlib.suppress(sqlite3.Error):
                await self._db.execute("PRAGMA optimize")
        await self._db.close()

    async def __aenter__(self) -> QueryStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
