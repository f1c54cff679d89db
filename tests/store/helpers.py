"""Query-log test helpers: a record factory and a plain reader of the database file."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

from bot.store.masking import view
from bot.store.records import QueryRecord, new_query_id

SECRET = "test-secret-0123456789abcdef"
T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


def rec(text: str = "异地就医怎么备案", *, status: str = "answer", entry_id: str | None = "e-1",
        topic: str | None = "t1", user_id: int | str | None = 42, ts: dt.datetime = T0,
        lang: str = "zh", region: str | None = None, suggestions: tuple[str, ...] = (),
        normalized: str | None = None, query_id: str | None = None,
        reason: str | None = None, latency_ms: float = 2.0) -> QueryRecord:
    """A log record built directly (the store tests need no engine)."""
    if status != "answer":
        entry_id, topic = None, None
    return QueryRecord(
        query_id=query_id or new_query_id(), channel="telegram", chat_type="private",
        user_id=user_id, lang=lang, region=region, text=text,
        normalized=text.lower() if normalized is None else normalized, status=status,
        entry_id=entry_id, score=70.0 if status == "answer" else 30.0, suggestions=suggestions,
        latency_ms=latency_ms, ts=ts,
        reason=reason or {"answer": "matched", "clarify": "ambiguous"}.get(status, "no_match"),
        topic=topic)


def rows(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Read with a separate plain connection, as another process would."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def digits_view(text: str) -> str:
    """`text` as the masking sees it (NFKC, ASCII digits) with the separators between
    digits removed: a personal number that survived shows up here as a plain digit run."""
    return re.sub(r"(?<=\d)(?:[^\w]|_)+(?=\d)", "", view(text))
