"""The query log against real SQLite files: schema and migrations, the batched writer
(burst, back-pressure, flush), privacy on disk, hostile text, votes and picks, preferences,
purge. Crash and storage-failure tests are in test_store_failures.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import migrations as store_migrations
from bot.store.connection import StoreError
from bot.store.prefs import UNSET, Prefs
from bot.store.privacy import private_text, user_ref
from bot.store.querystore import QueryStore
from bot.store.records import Period, new_query_id, record_from_result, ts_text
from tests.store.helpers import SECRET, T0, rec, rows


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "queries.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[QueryStore]:
    s = await QueryStore.open(db_path, SECRET, flush_interval=0.05)
    yield s
    await s.close()


# --------------------------------------------------------------------------- schema


async def test_open_creates_the_latest_schema_with_wal(db_path: Path) -> None:
    s = await QueryStore.open(db_path, SECRET)
    try:
        assert await s.schema_version() == store_migrations.LATEST
        assert (await s._one("PRAGMA journal_mode"))[0] == "wal"
        assert (await s._one("PRAGMA foreign_keys"))[0] == 1
        assert (await s._one("PRAGMA busy_timeout"))[0] >= 1000
        assert await s.integrity_check() == "ok"
    finally:
        await s.close()
    tables = {r[0] for r in rows(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"queries", "feedback", "selections", "prefs", "denied", "meta", "daily"} <= tables


async def test_migrates_a_v1_log_keeping_its_rows(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    assert store_migrations.apply_sync(conn, upto=1) == 1
    q = ("INSERT INTO queries (query_id, ts, channel, user_ref, lang, text, normalized, status,"
         " entry_id, score, suggestions, latency_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
    conn.execute(q, ("a1", ts_text(T0), "telegram", "u", "zh", "问", "问", "answer", "e-1", 80,
                     "[]", 3.0))
    conn.execute(q, ("a2", ts_text(T0), "telegram", "u", "zh", "问2", "问2", "clarify", None, 50,
                     '["e-1","e-2"]', 4.0))
    conn.execute("INSERT INTO selections (query_id, entry_id, ts) VALUES ('a2', 'e-2', ?)",
                 (ts_text(T0),))
    # Two votes on one answer (v1 allowed that): the migration keeps the latest.
    for helpful in (1, 0):
        conn.execute("INSERT INTO feedback (query_id, helpful, ts) VALUES ('a1', ?, ?)",
                     (helpful, ts_text(T0)))
    conn.execute("INSERT INTO feedback (query_id, helpful, ts) VALUES ('a2', 1, ?)", (ts_text(T0),))
    conn.close()

    s = await QueryStore.open(db_path, SECRET)
    try:
        assert await s.schema_version() == store_migrations.LATEST
        await s.log_query(rec())
        await s.flush()
    finally:
        await s.close()
    assert rows(db_path, "SELECT query_id, text, reason, topic FROM queries ORDER BY id")[:2] == [
        ("a1", "问", None, None), ("a2", "问2", None, None)]
    # Votes now name the entry they rate: the answer, or the entry picked after a clarify.
    assert rows(db_path, "SELECT query_id, entry_id, helpful FROM feedback ORDER BY query_id") == [
        ("a1", "e-1", 0), ("a2", "e-2", 1)]
    # The daily counts were built from the old rows too.
    assert rows(db_path, "SELECT SUM(n) FROM daily") == [(3,)]


async def test_migrates_a_v2_log(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    store_migrations.apply_sync(conn, upto=2)
    conn.execute(
        "INSERT INTO queries (query_id, ts, channel, lang, text, normalized, status, entry_id,"
        " topic, score, latency_ms) VALUES ('b1', ?, 'cli', 'en', 'q', 'q', 'answer', 'e-9',"
        " 'tx', 90, 1.5)", (ts_text(T0),))
    conn.close()
    s = await QueryStore.open(db_path, SECRET)
    try:
        cube = await s.stats_cube(Period())
    finally:
        await s.close()
    assert cube == [(T0.date().isoformat(), "answer", "tx", None, "en", 1, 1.5)]


async def test_newer_schema_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {store_migrations.LATEST + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this program"):
        await QueryStore.open(db_path, SECRET)


async def test_a_file_that_is_not_a_database_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a query log database"):
        await QueryStore.open(db_path, SECRET)


# --------------------------------------------------------------------------- the writer


async def test_burst_of_10000_from_concurrent_tasks_gives_exactly_10000_rows(db_path: Path) -> None:
    s = await QueryStore.open(db_path, SECRET, max_queue=500, batch_size=200)
    ids = [new_query_id() for _ in range(10_000)]

    async def task(k: int) -> None:
        for i in range(k, len(ids), 100):
            await s.log_query(rec(f"问题{i}", query_id=ids[i], user_id=i % 37))

    await asyncio.gather(*(task(k) for k in range(100)))
    await s.close()
    assert s.written == 10_000 and s.dropped == 0
    assert s.waits > 0  # the queue did fill up: producers waited instead of dropping
    assert rows(db_path, "SELECT COUNT(*), COUNT(DISTINCT query_id) FROM queries") == [
        (10_000, 10_000)]
    assert {r[0] for r in rows(db_path, "SELECT query_id FROM queries")} == set(ids)
    assert rows(db_path, "SELECT SUM(n) FROM daily") == [(10_000,)]


async def test_full_queue_makes_log_query_wait_never_drop(db_path: Path) -> None:
    s = await QueryStore.open(db_path, SECRET, max_queue=10, batch_size=5, flush_interval=0.01)
    await s._tx_lock.acquire()  # stall the writer as a slow disk would
    try:
        tasks = [asyncio.create_task(s.log_query(rec(f"q{i}"))) for i in range(20)]
        await asyncio.sleep(0.2)
        # The writer holds one batch (5) it cannot write; 10 fill the queue; 5 must wait.
        assert s.pending == 10
        assert sum(not t.done() for t in tasks) == 5
        assert s.waits > 0 and s.dropped == 0
    finally:
        s._tx_lock.release()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    await s.close()
    assert s.written == 20 and s.dropped == 0
    assert rows(db_path, "SELECT COUNT(*) FROM queries") == [(20,)]


async def test_flush_and_time_based_batches_reach_the_disk(db_path: Path) -> None:
    s = await QueryStore.open(db_path, SECRET, batch_size=1000, flush_interval=0.1)
    try:
        await s.log_query(rec("一"))
        await s.flush()
        assert rows(db_path, "SELECT COUNT(*) FROM queries") == [(1,)]
        await s.log_query(rec("二"))  # far from a full batch: the interval writes it
        for _ in range(50):
            await asyncio.sleep(0.05)
            if rows(db_path, "SELECT COUNT(*) FROM queries") == [(2,)]:
                break
        assert rows(db_path, "SELECT COUNT(*) FROM queries") == [(2,)]
    finally:
        await s.close()


async def test_close_writes_everything_queued(db_path: Path) -> None:
    s = await QueryStore.open(db_path, SECRET, batch_size=1000, flush_interval=60)
    for i in range(1234):
        await s.log_query(rec(f"q{i}"))
    await s.close()
    assert rows(db_path, "SELECT COUNT(*) FROM queries") == [(1234,)]
    await s.log_query(rec("too late"))  # after close: counted, not raised
    assert s.dropped == 1


# --------------------------------------------------------------------------- privacy on disk


async def test_only_masked_text_and_hmac_reach_the_disk(db_path: Path) -> None:
    uid = 987654321987
    text = "我的身份证650102199001011234，手机13812345678，卡号6222021234567890123"
    s = await QueryStore.open(db_path, SECRET)
    await s.log_query(rec(text, user_id=uid, normalized=text.lower(), status="fallback"))
    await s.log_denied(uid, "stats 13812345678")
    await s.set_prefs(uid, lang="en")
    await s.close()
    stored = rows(db_path, "SELECT text, normalized, user_ref FROM queries")[0]
    assert stored == (private_text(text), private_text(text.lower()), user_ref(SECRET, uid))
    assert "[ID]" in stored[0] and "[PHONE]" in stored[0] and "[CARD]" in stored[0]
    assert rows(db_path, "SELECT user_ref, command FROM denied") == [
        (user_ref(SECRET, uid), "stats [PHONE]")]
    raw = b"".join(p.read_bytes() for p in db_path.parent.iterdir() if p.name.startswith("queries"))
    for secret_thing in (b"650102199001011234", b"13812345678", b"6222021234567890123",
                         str(uid).encode()):
        assert secret_thing not in raw


async def test_hostile_text_is_stored_and_read_back_intact(store: QueryStore,
                                                            db_path: Path) -> None:
    hostile = [
        "'; DROP TABLE queries; --",
        'Robert"); DELETE FROM feedback WHERE ("1"="1',
        "nul\x00inside\x00text",
        "emoji 😀🏥💊 and ZWJ 👨‍👩‍👧",
        "\u202eRTL override\u202c and combining e\u0301",
        "x" * 4100,
        "长" * 5000,
        "%s %d {0} ? ?1 :name @p $x",
        "\ud800 lone surrogate",
    ]
    for h in hostile:
        await store.log_query(rec(h, normalized=h, status="fallback"))
    await store.flush()
    got = rows(db_path, "SELECT text, normalized FROM queries ORDER BY id")
    assert got == [(private_text(h), private_text(h)) for h in hostile]
    assert got[0][0] == "'; DROP TABLE queries; --"
    assert got[2][0] == "nul\x00inside\x00text"
    assert len(got[5][0]) <= 1000 and got[5][0].endswith("…")
    assert await store.integrity_check() == "ok"
    assert await store.count("queries") == len(hostile)


# --------------------------------------------------------------------------- votes and picks


async def test_votes_and_picks(store: QueryStore, db_path: Path) -> None:
    answered = rec(entry_id="e-1")
    clarified = rec("医保", status="clarify", suggestions=("e-2", "e-3"))
    await store.log_query(answered)
    await store.log_query(clarified)
    await store.log_feedback(answered.query_id, True)
    await store.log_feedback(answered.query_id, False)  # changed their mind: one vote, 👎
    await store.log_selection(clarified.query_id, "e-3")
    await store.log_feedback(clarified.query_id, False)  # rates the picked entry
    await store.log_feedback("no-such-query", True)  # a stale button: skipped, not an error
    await store.log_selection("no-such-query", "e-1")
    await store.flush()
    assert rows(db_path, "SELECT query_id, entry_id, helpful FROM feedback ORDER BY id") == [
        (answered.query_id, "e-1", 0), (clarified.query_id, "e-3", 0)]
    assert rows(db_path, "SELECT query_id, entry_id FROM selections") == [
        (clarified.query_id, "e-3")]
    assert store.skipped == 2 and store.dropped == 0
    assert await store.event_totals(Period()) == {"helpful": 0, "unhelpful": 2, "selections": 1,
                                                  "denied": 0}


async def test_prefs(store: QueryStore) -> None:
    assert await store.get_prefs(7) == Prefs(None, None)
    assert await store.set_prefs(7, lang="en")
    assert await store.set_prefs(7, region="changji")
    assert await store.get_prefs(7) == Prefs("en", "changji")
    assert await store.set_prefs(7, region=None, lang=UNSET)
    assert await store.get_prefs(7) == Prefs("en", None)
    assert await store.get_prefs(8) == Prefs(None, None)


async def test_store_opened_without_secret_never_stores_ids(db_path: Path) -> None:
    s = await QueryStore.open(db_path, None)
    await s.log_query(rec(user_id=555))
    assert await s.get_prefs(555) == Prefs()
    assert not await s.set_prefs(555, lang="en")
    await s.close()
    assert rows(db_path, "SELECT user_ref FROM queries") == [(None,)]


# --------------------------------------------------------------------------- purge, periods


async def test_purge_deletes_old_rows_with_their_votes_and_picks(store: QueryStore,
                                                                  db_path: Path) -> None:
    old = [rec(f"old{i}", ts=T0 - dt.timedelta(days=200 + i)) for i in range(5)]
    new = [rec(f"new{i}", ts=T0 - dt.timedelta(days=i)) for i in range(3)]
    for r in old + new:
        await store.log_query(r)
    await store.log_feedback(old[0].query_id, False)
    await store.log_selection(old[1].query_id, "e-1")
    await store.log_feedback(new[0].query_id, True)
    await store.flush()
    cutoff = T0 - dt.timedelta(days=180)
    assert await store.count_older(cutoff) == 5
    counts = await store.purge(cutoff, chunk=2)  # several short transactions
    assert counts == {"queries": 5, "feedback": 1, "selections": 1, "denied": 0, "tickets": 0}
    assert sorted(r[0] for r in rows(db_path, "SELECT text FROM queries")) == [
        "new0", "new1", "new2"]
    assert rows(db_path, "SELECT COUNT(*) FROM feedback") == [(1,)]
    assert rows(db_path, "SELECT COUNT(*) FROM selections") == [(0,)]
    assert rows(db_path, "SELECT SUM(n) FROM daily") == [(3,)]
    assert await store.purge(cutoff) == {"queries": 0, "feedback": 0, "selections": 0,
                                         "denied": 0, "tickets": 0}


async def test_stats_cube_matches_the_rows_for_any_period(store: QueryStore) -> None:
    # Whole days come from the daily table, partial days from the rows: they must agree.
    statuses = ("answer", "clarify", "fallback")
    for i in range(120):
        ts = T0 + dt.timedelta(hours=7 * i, minutes=13 * i)
        await store.log_query(rec(f"q{i}", status=statuses[i % 3], ts=ts,
                                  region=("wuhai", None)[i % 2], lang=("zh", "en")[i % 5 == 0],
                                  latency_ms=float(i)))
    await store.flush()
    periods = [Period(), Period(T0), Period(T0 + dt.timedelta(hours=5)),
               Period(T0 + dt.timedelta(hours=5), T0 + dt.timedelta(days=3, hours=2)),
               Period(T0 + dt.timedelta(hours=5), T0 + dt.timedelta(hours=9)),
               Period(None, T0 + dt.timedelta(days=10)),
               Period(T0 + dt.timedelta(days=2), T0 + dt.timedelta(days=4))]
    for p in periods:
        lo, hi = p.bounds()
        expected = await store._all(
            "SELECT substr(ts, 1, 10), status, topic, region, lang, COUNT(*), SUM(latency_ms)"
            " FROM queries WHERE ts >= ? AND ts < ? GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
            (lo, hi))
        got = await store.stats_cube(p)
        norm = sorted((d, s, t or "", r or "", lg, n, round(ms, 6))
                      for d, s, t, r, lg, n, ms in got)
        want = sorted((d, s, t or "", r or "", lg, n, round(ms, 6))
                      for d, s, t, r, lg, n, ms in expected)
        assert norm == want, p


def test_new_query_id_is_short_url_safe_and_unique() -> None:
    ids = {new_query_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(len(i) <= 16 and all(c.isalnum() or c in "-_" for c in i) for i in ids)


def test_ts_text_is_fixed_width_utc() -> None:
    cst = dt.timezone(dt.timedelta(hours=8))
    assert ts_text(dt.datetime(2025, 1, 2, 11, 4, 5, 678900, tzinfo=cst)) == \
        "2025-01-02T03:04:05.678Z"
    assert ts_text(dt.datetime(2025, 1, 2)) == "2025-01-02T00:00:00.000Z"


def test_record_from_an_engine_result() -> None:
    from bot.core.engine import Engine
    from bot.core.kb import FaqError
    from tests.helpers import FAQ_DIR

    try:
        engine = Engine.from_dir(FAQ_DIR)
    except FaqError as exc:
        pytest.skip(f"the FAQ does not load right now: {exc}")
    question = engine.kb.entries[0].questions["zh"][0]
    result = engine.ask(question)
    r = record_from_result(result, channel="cli", chat_type=None, user_id="cli", latency_ms=1.5)
    assert (r.text, r.normalized, r.status, r.entry_id, r.topic, r.reason) == (
        question, result.normalized, result.status, result.entry_id, result.topic, result.reason)
    assert r.suggestions == tuple(s.entry_id for s in result.suggestions)
    assert r.ts.tzinfo is not None and len(r.query_id) <= 16
    json.dumps(r.suggestions)
