"""The query log's write path: a bounded queue and one writer task that commits in batches,
so answering a resident never waits on disk.

- batch: up to `batch_size` records, or whatever arrived within `flush_interval` of the
  first one, in one transaction (executemany);
- queue full: `log_*` awaits until there is room (back-pressure); nothing is dropped;
- crash (SIGKILL): committed batches survive (WAL + synchronous=NORMAL survives a process
  kill); lost are at most the records accepted but not yet committed, i.e. at most
  `max_queue + batch_size` records, in normal traffic the last `flush_interval` of it;
- disk full / read-only / I/O error: the batch is counted in `dropped`, an error is logged
  once per outage (and a line when writing works again), and the bot keeps answering.

Text is masked and truncated (bot.store.privacy) before it is written, in the database
thread; user ids become HMACs there too. Raw ids and raw text never reach the file.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.base import log
from bot.store.batches import BatchMixin
from bot.store.privacy import private_text
from bot.store.records import QueryRecord, ts_text, utc_now

DEFAULT_MAX_QUEUE = 2000
DEFAULT_BATCH_SIZE = 500
DEFAULT_FLUSH_INTERVAL = 0.5  # seconds
MAX_COMMAND_CHARS = 64


class _Marker:
    """A flush request travelling through the queue behind the records before it."""

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.future = future


_Op = tuple[str, Any] | _Marker


class WriterMixin(BatchMixin):
    """`log_*` and `flush`: the queue, its writer task, and the write counters."""

    def __init__(self, db: aiosqlite.Connection, path: Path, secret: str | None, *,
                 max_queue: int, batch_size: int, flush_interval: float) -> None:
        super().__init__(db, path, secret)
        # The queue: a deque plus events, so a burst costs no task switch per record.
        self._buf: deque[_Op] = deque()
        self.max_queue = max_queue
        self._nonempty = asyncio.Event()
        self._full = asyncio.Event()  # a batch is ready, or a flush/close is waiting
        self._space = asyncio.Event()
        self._markers = 0  # flush requests queued: write without waiting to fill a batch
        self._waiters = 0  # producers waiting for room
        self._stopping = False
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self._writer: asyncio.Task[None] | None = None
        self._waiting_logged = False
        # Counters (read them for /stats or monitoring): `written` and `skipped` are
        # BatchMixin's, `dropped` and `write_errors` StoreBase's.
        self.waits = 0  # times a producer had to wait for room in the queue

    def _start_writer(self) -> None:
        self._writer = asyncio.create_task(self._run(), name="query-log-writer")

    async def _stop_writer(self) -> None:
        if self._writer is not None and not self._writer.done():
            # The writer drains the queue (and producers still waiting for room), then ends.
            self._stopping = True
            self._nonempty.set()
            self._full.set()
            await self._writer

    @property
    def pending(self) -> int:
        return len(self._buf)

    @property
    def counters(self) -> dict[str, int]:
        return {"written": self.written, "dropped": self.dropped,
                "write_errors": self.write_errors, "waits": self.waits,
                "skipped": self.skipped, "pending": self.pending}

    # ------------------------------------------------------------------ producers

    async def _put(self, op: _Op) -> None:
        while len(self._buf) >= self.max_queue and self._writing():
            # Back-pressure: wait for the writer to take a batch. Never drop.
            self.waits += 1
            if not self._waiting_logged:
                self._waiting_logged = True
                log.warning("query log queue is full (%d): logging waits for the writer",
                            self.max_queue)
            self._space.clear()
            self._waiters += 1
            try:
                await self._space.wait()
            finally:
                self._waiters -= 1
        if not self._writing():
            self.dropped += 1
            log.warning("query log is closed: a record was not written (dropped=%d)",
                        self.dropped)
            return
        self._enqueue(op)

    def _writing(self) -> bool:
        return not self._closed and self._writer is not None and not self._writer.done()

    def _enqueue(self, op: _Op) -> None:
        self._buf.append(op)
        self._nonempty.set()
        if isinstance(op, _Marker):
            self._markers += 1
            self._full.set()
        elif len(self._buf) >= self.batch_size:
            self._full.set()

    async def log_query(self, rec: QueryRecord) -> None:
        """Queue one question; awaits (back-pressure) only when the queue is full."""
        await self._put(("query", rec))

    async def log_feedback(self, query_id: str, helpful: bool, entry_id: str | None = None) -> None:
        """A 👍/👎 on the answer to `query_id` (for `entry_id`, default: the entry last picked
        for it, else the entry answered). A second vote on the same replaces the first."""
        await self._put(("feedback", (entry_id, int(bool(helpful)), ts_text(utc_now()), query_id)))

    async def log_selection(self, query_id: str, entry_id: str) -> None:
        """The user picked suggestion `entry_id` offered for `query_id`."""
        await self._put(("selection", (query_id, entry_id, ts_text(utc_now()), query_id)))

    async def log_denied(self, user_id: int | str | None, command: str) -> None:
        """A staff command tried by someone who is not staff."""
        row = (ts_text(utc_now()), self._user_ref(user_id),
               private_text(command, MAX_COMMAND_CHARS))
        await self._put(("denied", row))

    async def flush(self) -> None:
        """Return once everything queued before this call is written (or counted dropped)."""
        if not self._writing():
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._enqueue(_Marker(fut))
        await fut

    # ------------------------------------------------------------------ the writer task

    async def _run(self) -> None:
        buf = self._buf
        while True:
            if not buf:
                self._waiting_logged = False
                if self._stopping and self._waiters == 0:
                    return
                self._nonempty.clear()
                await self._nonempty.wait()
                continue
            if len(buf) < self.batch_size and not self._markers and not self._stopping:
                # Not a full batch yet: give it up to flush_interval to fill.
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.flush_interval)
            batch: list[tuple[str, Any]] = []
            marker: _Marker | None = None
            while buf and len(batch) < self.batch_size:
                op = buf.popleft()
                if isinstance(op, _Marker):
                    self._markers -= 1
                    marker = op  # write what came before it, then answer it
                    break
                batch.append(op)
            self._space.set()
            if batch:
                try:
                    await self._write(batch)
                except Exception:  # a bug must not stop the writer (logging would block)
                    self.dropped += len(batch)
                    log.exception("query log writer failed on a batch of %d", len(batch))
            if marker is not None and not marker.future.done():
                marker.future.set_result(None)
