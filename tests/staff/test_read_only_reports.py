"""Reports only read: they open the log with `mode=ro`, never change the journal mode or
migrate, so they work on a read-only copy (even in a read-only directory) and on a copy in
rollback-journal mode, and a log they cannot use is one clear line, not a traceback."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import migrations as store_migrations
from bot.store.connection import StoreError
from bot.store.querystore import QueryStore
from tests.staff.helpers import run_cli
from tests.store.helpers import SECRET, rec

# Every read-only command; export goes to stdout.
READ_ONLY_COMMANDS = [["review", "unanswered", "--all"], ["review", "feedback", "--all"],
                      ["review", "top", "--all"], ["review", "stats", "--all"],
                      ["review", "export", "--all"], ["review", "export", "--all", "--format",
                                                      "jsonl"],
                      ["purge", "--dry-run"]]


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("orig") / "queries.db"

    async def seed() -> None:
        async with await QueryStore.open(path, SECRET) as s:
            for i in range(5):
                await s.log_query(rec(f"问题{i}", status="fallback"))

    asyncio.run(seed())
    return path


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


@pytest.fixture
def immutable() -> Iterator[list[Path]]:
    """Paths made immutable with chattr +i (read-only even for root); undone afterwards."""
    made: list[Path] = []
    yield made
    for p in reversed(made):
        subprocess.run(["chattr", "-i", str(p)], check=False)


def test_reports_work_on_a_read_only_copy_in_a_read_only_directory(
        original: Path, tmp_path: Path, immutable: list[Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "ro" / "queries.db"
    copy.parent.mkdir()
    shutil.copy(original, copy)
    for p in (copy, copy.parent):
        try:
            subprocess.run(["chattr", "+i", str(p)], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            pytest.skip(f"cannot make a file immutable here: {exc}")
        immutable.append(p)
    before = _digest(copy.parent)
    for argv in READ_ONLY_COMMANDS:
        assert run_cli(argv, copy) == 0, (argv, capsys.readouterr().err)
        assert capsys.readouterr().out.strip(), argv
    assert _digest(copy.parent) == before


def test_reports_work_on_a_copy_in_rollback_journal_mode(
        original: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "queries.db"
    shutil.copy(original, copy)
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
    copy.chmod(0o444)
    before = _digest(tmp_path)
    for argv in READ_ONLY_COMMANDS:
        assert run_cli(argv, copy) == 0, (argv, capsys.readouterr().err)
    assert _digest(tmp_path) == before  # no -wal/-shm created, no journal-mode change
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)


@pytest.mark.parametrize("version", [-1, -(2**31)])
async def test_a_negative_schema_version_is_a_clean_store_error(
        tmp_path: Path, version: int, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "queries.db"
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {version}")
    for read_only in (False, True):
        with pytest.raises(StoreError, match="not a query log database"):
            await QueryStore.open(db, SECRET, read_only=read_only)
    assert await asyncio.to_thread(run_cli, ["review", "stats"], db) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and "schema version" in line


def test_a_report_on_an_old_schema_says_how_to_migrate_and_changes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "queries.db"
    with sqlite3.connect(db) as conn:
        for sql in store_migrations.V1:
            conn.execute(sql)
        conn.execute("PRAGMA user_version = 1")
    before = _digest(tmp_path)
    assert run_cli(["review", "stats"], db) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "older than this program" in line and "migrate" in line
    assert _digest(tmp_path) == before
