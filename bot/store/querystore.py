"""The query log: every question, vote and pick, in SQLite, private and never blocking.

The only module (with store_migrations/store_bench) that touches the database. One
long-lived aiosqlite connection in WAL mode. Writes go through a bounded queue and are
committed in batches by one writer task, so answering a resident never waits on disk:

- batch: up to `batch_size` records, or whatever arrived within `flush_interval` of the
  first one, in one transaction (executemany);
- queue full: `log_*` awaits until there is room (back-pressure); nothing is dropped;
- crash (SIGKILL): committed batches survive (WAL + synchronous=NORMAL survives a process
  kill); lost are at most the records accepted but not yet committed, i.e. at most
  `max_queue + batch_size` records, in normal traffic the last `flush_interval` of it;
- disk full / read-only / I/O error: the batch is counted in `dropped`, an error is logged
  once per outage (and a line when writing works again), and the bot keeps answering.

Text is masked and truncated (bot.store.privacy) before it is written, in the database thread;
user ids become HMACs there too. Raw ids and raw text never reach the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import functools
import itertools
import json
import logging
import secrets
import sqlite3
from collections import Counter, deque
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiosqlite

from bot.store import migrations as store_migrations
from bot.store.privacy import private_text, secret_check, user_ref

log = logging.getLogger(__name__)

DEFAULT_MAX_QUEUE = 2000
DEFAULT_BATCH_SIZE = 500
DEFAULT_FLUSH_INTERVAL = 0.5  # seconds
BUSY_TIMEOUT_MS = 5000
MAX_COMMAND_CHARS = 64
# Retries of a batch when another process holds the write lock longer than busy_timeout.
BUSY_RETRIES = (0.2, 1.0, 3.0)
PURGE_CHUNK = 5000
# SQLite errors after which writing row by row cannot help: the medium is the problem.
_MEDIUM_ERRORS = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN",
                  "SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_PERM")
_BUSY_ERRORS = ("SQLITE_BUSY", "SQLITE_LOCKED")


class StoreError(RuntimeError):
    """The query log cannot be opened or used as asked; the message says why."""


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET: Final = _Unset.UNSET


@dataclass(frozen=True)
class Prefs:
    lang: str | None = None
    region: str | None = None


def new_query_id() -> str:
    """A short random url-safe id (12 chars), made before the write for callback data."""
    return secrets.token_urlsafe(9)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ts_text(when: dt.datetime) -> str:
    """The stored form of a time: UTC, fixed width, so text order is time order."""
    if when.tzinfo is None:  # naive means UTC here
        when = when.replace(tzinfo=dt.UTC)
    elif when.tzinfo is not dt.UTC:
        when = when.astimezone(dt.UTC)
    return when.isoformat(timespec="milliseconds")[:23] + "Z"


def parse_ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class QueryRecord:
    query_id: str
    channel: str  # "telegram" | "cli"
    chat_type: str | None  # "private" | "group" | "supergroup" | "channel" | None
    user_id: int | str | None  # RAW platform id: HMACed here, never stored
    lang: str
    region: str | None
    text: str  # raw: masked and truncated before writing
    normalized: str
    status: str
    entry_id: str | None
    score: float
    suggestions: tuple[str, ...]  # entry ids offered
    latency_ms: float
    ts: dt.datetime  # UTC
    reason: str | None = None  # the engine's reason (no_match, empty, region_not_covered…)
    topic: str | None = None


def record_from_result(
    result: Any,
    *,
    channel: str,
    chat_type: str | None,
    user_id: int | str | None,
    latency_ms: float,
    query_id: str | None = None,
) -> QueryRecord:
    """A log record for an engine `Result` (bot.core.engine.Result)."""
    mention = getattr(result, "mention", None)
    # The region the question was about: the place named, else the user's preference.
    region = (mention.scope if mention is not None else None) or result.preferred_region
    return QueryRecord(
        query_id=query_id or new_query_id(),
        channel=channel,
        chat_type=chat_type,
        user_id=user_id,
        lang=result.lang,
        region=region,
        text=result.question,
        normalized=result.normalized,
        status=result.status,
        entry_id=result.entry_id,
        score=float(result.score),
        suggestions=tuple(s.entry_id for s in result.suggestions),
        latency_ms=float(latency_ms),
        ts=utc_now(),
        reason=result.reason,
        topic=result.topic,
    )


@dataclass(frozen=True)
class Period:
    """[since, until) in UTC; None is open-ended."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def bounds(self) -> tuple[str, str]:
        lo = ts_text(self.since) if self.since else ""
        hi = ts_text(self.until) if self.until else "9999"
        return lo, hi

    def split_days(self) -> tuple[tuple[str, str] | None, list[tuple[str, str]]]:
        """The whole UTC days inside the period as a [first, end) day range (None if there
        are none), and the partial days at its ends as [lo, hi) time ranges."""
        lo, hi = self.bounds()
        first = _day_at_or_after(self.since) if self.since else ""
        end = _day_at_or_after(self.until, ceil=False) if self.until else "9999"
        if first >= end:  # no whole day inside: count the (short) period directly
            return None, [(lo, hi)]
        edges = []
        if self.since and lo < first:
            edges.append((lo, first))
        if self.until and end + "T00:00:00.000Z" < hi:
            edges.append((end, hi))
        return (first, end), edges


def _day_at_or_after(when: dt.datetime, ceil: bool = True) -> str:
    """The UTC day starting at or after `when` (ceil) or the day containing it (floor)."""
    t = ts_text(when)
    day = dt.date.fromisoformat(t[:10])
    if ceil and t[10:] != "T00:00:00.000Z":
        day += dt.timedelta(days=1)
    return day.isoformat()


# --------------------------------------------------------------------------- SQL

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


class _Marker:
    """A flush request travelling through the queue behind the records before it."""

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.future = future


_Op = tuple[str, Any] | _Marker


def _errname(exc: BaseException) -> str:
    return getattr(exc, "sqlite_errorname", "") or ""


def _is_medium_error(exc: BaseException) -> bool:
    name = _errname(exc)
    return any(name.startswith(p) for p in _MEDIUM_ERRORS) or isinstance(exc, OSError)


def _is_busy(exc: BaseException) -> bool:
    return any(_errname(exc).startswith(p) for p in _BUSY_ERRORS)


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


class QueryStore:
    """The query log. Create with `await QueryStore.open(...)`; always `await close()`."""

    def __init__(self, db: aiosqlite.Connection, path: Path, secret: str | None, *,
                 max_queue: int, batch_size: int, flush_interval: float) -> None:
        self._db = db
        self.path = path
        self._secret = secret
        self._ref = functools.lru_cache(maxsize=65536)(functools.partial(user_ref, secret or ""))
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
        # Serializes write transactions on the one connection (batches, prefs, purge).
        self._tx_lock = asyncio.Lock()
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self._failing = False  # inside a write outage (error already logged)
        self._waiting_logged = False
        self._no_secret_logged = False
        # Counters (read them for /stats or monitoring).
        self.written = 0  # records committed
        self.dropped = 0  # records that could not be written (disk full, read-only, bad row)
        self.write_errors = 0  # failed write attempts
        self.waits = 0  # times a producer had to wait for room in the queue
        self.skipped = 0  # votes/picks for a query id that is not in the log

    # ------------------------------------------------------------------ lifecycle

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
    ) -> QueryStore:
        """Open (creating and migrating as needed) the log at `path`.

        `secret` is the HMAC secret (see bot.store.privacy.resolve_secret); None opens the log for
        reports and purging (records are then stored without a user reference).
        `writer=False` is for reports and purge: no writer task and no write at open, so a
        read-only copy of the log can be reported on. Raises StoreError when the file
        cannot be used.
        """
        if max_queue < 1 or batch_size < 1 or flush_interval <= 0:
            raise ValueError("max_queue, batch_size and flush_interval must be positive")
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the directory of {path}: {exc}") from exc
        try:
            db = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the query log {path}: {exc}") from exc
        store = cls(db, path, secret, max_queue=max_queue, batch_size=batch_size,
                    flush_interval=flush_interval)
        try:
            await store._prepare(probe=writer)
        except BaseException:
            await db.close()
            raise
        if writer:
            store._writer = asyncio.create_task(store._run(), name="query-log-writer")
        return store

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
            if not _is_medium_error(exc):
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

    async def close(self) -> None:
        """Write everything queued, then close the connection."""
        if self._closed:
            return
        if self._writer is not None and not self._writer.done():
            # The writer drains the queue (and producers still waiting for room), then ends.
            self._stopping = True
            self._nonempty.set()
            self._full.set()
            await self._writer
        self._closed = True
        if self._writer is not None and not self._failing:
            with contextlib.suppress(sqlite3.Error):
                await self._db.execute("PRAGMA optimize")
        await self._db.close()

    async def __aenter__(self) -> QueryStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def pending(self) -> int:
        return len(self._buf)

    @property
    def counters(self) -> dict[str, int]:
        return {"written": self.written, "dropped": self.dropped,
                "write_errors": self.write_errors, "waits": self.waits,
                "skipped": self.skipped, "pending": self.pending}

    # ------------------------------------------------------------------ logging

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

    def _query_row(self, rec: QueryRecord) -> tuple[Any, ...]:
        """The stored row of a record: masked, truncated, pseudonymous.

        Runs in the database thread (executemany consumes a generator there), so masking
        costs the event loop nothing.
        """
        return (
            rec.query_id, ts_text(rec.ts), rec.channel, rec.chat_type, self._user_ref(rec.user_id),
            rec.lang, rec.region, private_text(rec.text), private_text(rec.normalized),
            rec.status, rec.reason, rec.entry_id, rec.topic, float(rec.score),
            _json_ids(rec.suggestions), round(float(rec.latency_ms), 3),
        )

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

    # ------------------------------------------------------------------ preferences

    async def get_prefs(self, user_id: int | str) -> Prefs:
        ref = self._user_ref(user_id)
        if ref is None:
            return Prefs()
        try:
            row = await self._one("SELECT lang, region FROM prefs WHERE user_ref = ?", (ref,))
        except sqlite3.Error as exc:
            log.error("query log: cannot read preferences: %s", exc)
            return Prefs()
        return Prefs(row[0], row[1]) if row else Prefs()

    async def set_prefs(self, user_id: int | str, *, lang: str | _Unset | None = UNSET,
                        region: str | _Unset | None = UNSET) -> bool:
        """Change a user's language and/or region at once (not queued); False if not saved."""
        ref = self._user_ref(user_id)
        if ref is None:
            return False
        async with self._tx_lock:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                row = await self._one("SELECT lang, region FROM prefs WHERE user_ref = ?", (ref,))
                old = Prefs(row[0], row[1]) if row else Prefs()
                new_lang = old.lang if lang is UNSET else lang
                new_region = old.region if region is UNSET else region
                await self._db.execute(
                    "INSERT INTO prefs (user_ref, lang, region, updated) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (user_ref) DO UPDATE SET lang = excluded.lang, "
                    "region = excluded.region, updated = excluded.updated",
                    (ref, new_lang, new_region, ts_text(utc_now())))
                await self._db.execute("COMMIT")
                return True
            except sqlite3.Error as exc:
                await self._rollback()
                self._failed(exc, 0)
                return False

    # ------------------------------------------------------------------ the writer

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
            if _is_busy(error) and delay is not None:
                await asyncio.sleep(delay)
                continue
            break
        if _is_medium_error(error) or _is_busy(error) or len(batch) == 1:
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

    async def _rollback(self) -> None:
        # SQLite may have rolled back already (disk full, I/O error), or nothing was begun.
        with contextlib.suppress(sqlite3.Error):
            await self._db.execute("ROLLBACK")

    # ------------------------------------------------------------------ reading

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._db.execute(sql, params) as cur:
            return await cur.fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(await self._db.execute_fetchall(sql, params))

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

    # ------------------------------------------------------------------ retention

    async def count_older(self, before: dt.datetime) -> int:
        row = await self._one("SELECT COUNT(*) FROM queries WHERE ts < ?", (ts_text(before),))
        return int(row[0])

    async def purge(self, before: dt.datetime, chunk: int = PURGE_CHUNK) -> dict[str, int]:
        """Delete questions (with their votes and picks) and refusals older than `before`.

        Deletes in short transactions so a running bot's writer never waits long.
        """
        cutoff = ts_text(before)
        counts = {"queries": 0, "feedback": 0, "selections": 0, "denied": 0}
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
            await self._db.execute("DELETE FROM daily WHERE n <= 0")
        await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts


def _json_ids(ids: Sequence[str]) -> str:
    if not ids:
        return "[]"
    return json.dumps(list(ids), ensure_ascii=False, separators=(",", ":"))


def _json_list(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
