"""The query log when things go wrong: SIGKILL mid-burst (a real subprocess), a read-only
database file (immutable, so even root cannot write it), a database that turns read-only
while running, and a full disk (a 256 KB tmpfs). The bot must keep answering: logging never
raises, an error is logged once, lost records are counted, and the file stays intact."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.querystore import QueryStore
from tests.helpers import ROOT
from tests.store.helpers import SECRET, rec, rows

# The child logs continuously with these settings; what it accepted but had not committed
# when killed is at most MAX_QUEUE + BATCH records (see bot/store/writer.py).
MAX_QUEUE, BATCH = 500, 100

CHILD = textwrap.dedent(f"""
    import asyncio, sys
    from bot.store.querystore import QueryStore
    from bot.store.records import QueryRecord, utc_now

    async def main(path):
        s = await QueryStore.open(path, "k" * 32, max_queue={MAX_QUEUE}, batch_size={BATCH},
                                  flush_interval=0.02)
        i = 0
        while True:
            await s.log_query(QueryRecord(
                f"q{{i:08d}}", "cli", None, i % 50, "zh", None, f"第{{i}}个问题", f"{{i}}",
                "fallback", None, 10.0, (), 1.0, utc_now()))
            i += 1
            if i % 100 == 0:
                print(i, flush=True)  # records accepted so far
                await asyncio.sleep(0)

    asyncio.run(main(sys.argv[1]))
""")


def test_sigkill_mid_burst_leaves_an_intact_log_missing_only_the_tail(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen([sys.executable, str(script), str(db)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    accepted = 0
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 30
        while accepted < 20_000 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            accepted = int(line)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert accepted >= 2_000, "the child did not get going"

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    seqs = sorted(int(n) for (n,) in conn.execute("SELECT normalized FROM queries"))
    conn.close()
    committed = len(seqs)
    # Batches commit atomically and in order: what survived is exactly the first N records.
    assert seqs == list(range(committed))
    assert committed >= accepted - (MAX_QUEUE + BATCH)
    # The log opens again (WAL recovered) and takes new records.
    async def reopen() -> int:
        s = await QueryStore.open(db, SECRET)
        await s.log_query(rec("after the crash"))
        await s.close()
        return s.written

    assert asyncio.run(reopen()) == 1
    assert rows(db, "SELECT COUNT(*) FROM queries") == [(committed + 1,)]


# --------------------------------------------------------------------------- read-only


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "bot.store.querystore" and r.levelno >= logging.ERROR]


@pytest.fixture
def immutable() -> Iterator[list[Path]]:
    """Files made immutable with chattr +i (read-only even for root); undone afterwards."""
    made: list[Path] = []
    yield made
    for p in made:
        subprocess.run(["chattr", "-i", str(p)], check=False)


async def test_read_only_database_file(tmp_path: Path, immutable: list[Path],
                                       caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "q.db"
    s = await QueryStore.open(db, SECRET)
    await s.log_query(rec("before"))
    await s.close()
    try:
        subprocess.run(["chattr", "+i", str(db)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot make a file immutable here: {exc}")
    immutable.append(db)
    try:
        db.open("r+b")
        pytest.skip("the immutable file is still writable (filesystem ignores chattr)")
    except OSError:
        pass

    with caplog.at_level(logging.WARNING):
        s = await QueryStore.open(db, SECRET)  # still opens: the bot must keep answering
        await asyncio.gather(*(s.log_query(rec(f"q{i}")) for i in range(100)))
        await s.log_feedback("x", True)
        assert not await s.set_prefs(1, lang="en")
        await s.flush()
        assert await s.count() == 1  # reports still read it
        await s.close()
    assert s.written == 0 and s.dropped == 101
    assert len(_errors(caplog)) == 1, _errors(caplog)
    assert "not writable" in _errors(caplog)[0]
    # Reports (writer=False) read a read-only log without complaint.
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        reader = await QueryStore.open(db, None, writer=False)
        assert await reader.count() == 1
        await reader.close()
    assert not _errors(caplog)


async def test_log_turning_read_only_while_running(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    # Simulated with query_only (writes then fail with SQLITE_READONLY, as for a file made
    # read-only under a running process); the real file case is the test above.
    db = tmp_path / "q.db"
    s = await QueryStore.open(db, SECRET, batch_size=10)
    with caplog.at_level(logging.WARNING):
        for i in range(5):
            await s.log_query(rec(f"ok{i}"))
        await s.flush()
        await s._db.execute("PRAGMA query_only = ON")
        for i in range(50):
            await s.log_query(rec(f"lost{i}"))
        await s.flush()
        assert s.dropped == 50 and s.write_errors >= 5
        await s._db.execute("PRAGMA query_only = OFF")
        for i in range(3):
            await s.log_query(rec(f"again{i}"))
        await s.close()
    assert s.written == 8
    assert len(_errors(caplog)) == 1
    assert any("works again" in r.getMessage() for r in caplog.records)
    assert rows(db, "SELECT COUNT(*) FROM queries") == [(8,)]


# --------------------------------------------------------------------------- disk full


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KB tmpfs (needs root and mount; skipped otherwise)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


async def test_full_disk(tiny_disk: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tiny_disk / "q.db"
    ballast = tiny_disk / "ballast"
    big = "长" * 900  # ~2.7 KB per column
    with caplog.at_level(logging.WARNING):
        s = await QueryStore.open(db, SECRET, batch_size=5, flush_interval=0.01)
        # Once the schema is in (it grows with every migration), leave the log little room.
        ballast.write_bytes(b"\0" * max(0, shutil.disk_usage(tiny_disk).free - 64 * 1024))
        for i in range(200):
            await s.log_query(rec(f"{i} {big}", status="fallback"))
        await s.flush()
        assert s.dropped > 0, "the disk never filled up"
        written_while_full = s.written
        ballast.unlink()  # space comes back: logging resumes by itself
        await s.log_query(rec("after"))
        await s.close()
    assert s.written == written_while_full + 1
    assert s.written + s.dropped == 201
    assert len(_errors(caplog)) == 1
    assert "full" in _errors(caplog)[0].lower()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT COUNT(*) FROM queries").fetchone() == (s.written,)
    conn.close()
