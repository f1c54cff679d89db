"""A staff command that cannot write where it was told to says so in one line on stderr and
exits non-zero: `review export -o` into a missing folder, `review suggest --apply` on a
read-only faq/ (as the Docker image mounts it)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.kb import FaqError, load_kb
from bot.store.querystore import QueryStore
from tests.helpers import FAQ_DIR
from tests.staff.helpers import run_cli
from tests.store.helpers import SECRET, rec


@pytest.fixture
def log_db(tmp_path: Path) -> Path:
    path = tmp_path / "queries.db"

    async def seed() -> None:
        async with await QueryStore.open(path, SECRET) as s:
            for _ in range(3):
                await s.log_query(rec("去外地住院要先办什么新手续吗", status="fallback"))

    asyncio.run(seed())
    return path


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_export_into_a_missing_folder_is_one_clear_line(
        log_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no" / "such" / "dir" / "log.csv"
    assert run_cli(["review", "export", "--all", "-o", str(target), "--lang", "en"],
                   log_db) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert str(target) in line and "No such file or directory" in line
    assert not target.parent.exists()
    assert run_cli(["review", "export", "--all", "-o", str(tmp_path)], log_db) == 1  # a folder
    assert "无法写入" in _one_error_line(capsys.readouterr().err)


@pytest.fixture
def read_only_faq(tmp_path: Path) -> Iterator[Path]:
    faq = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, faq)
    try:
        load_kb(faq)
    except FaqError as exc:
        pytest.skip(f"the FAQ does not load right now: {exc}")
    try:
        subprocess.run(["chattr", "+i", str(faq)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot make a directory immutable here: {exc}")
    try:
        yield faq
    finally:
        subprocess.run(["chattr", "-i", str(faq)], check=False)


def test_suggest_apply_on_a_read_only_faq_is_one_clear_line(
        log_db: Path, read_only_faq: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entry = load_kb(read_only_faq).entries[0].id
    before = {p.name: p.read_bytes() for p in read_only_faq.iterdir()}
    assert run_cli(["review", "suggest", "1", entry, "--apply", "--all", "--lang", "en"],
                   log_db, faq=read_only_faq) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("Not applied:") and str(read_only_faq) in line and "Docker" in line
    assert {p.name: p.read_bytes() for p in read_only_faq.iterdir()} == before
