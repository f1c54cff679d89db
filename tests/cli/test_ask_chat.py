"""`ask` and `chat` under hostile input, unusable query logs and signals, run as a resident
would: `python -m bot …` in a subprocess. Each test is named after the promise it guards."""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli.answer import _region
from bot.core.kb import KnowledgeBase
from bot.store.querystore import QueryStore
from tests.cli.test_cli import run_bot
from tests.helpers import JSON_KEYS, ROOT


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def _bot(*args: str, env: dict[str, str], stdin: int | None = subprocess.PIPE
         ) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env,
                            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _read_until(proc: subprocess.Popen[bytes], needle: bytes, count: int = 1,
                timeout: float = 30) -> bytes:
    """stdout until `needle` has appeared `count` times (fails after `timeout` seconds)."""
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while seen.count(needle) < count:
        left = deadline - time.monotonic()
        assert left > 0, f"timed out waiting for {needle!r}; got {seen[-500:]!r}"
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            assert chunk, f"stdout closed; got {seen[-500:]!r}"
            seen += chunk
    return seen


def _rows(db: Path, table: str = "queries") -> int:
    async def count() -> int:
        async with await QueryStore.open(db, None, writer=False) as store:
            return await store.count(table)

    return asyncio.run(count())


# --------------------------------------------------------------------------- 7: bad bytes


def test_ask_json_gives_one_line_per_input_line_even_for_invalid_utf8() -> None:
    lines = [b"\xe9\x95\xbf\xe6\x8a\xa4\xe9\x99\xa9", b"\xff\xfe bad", b"\xe4\xb8",
             b"ok \xed\xa0\x80 surrogate", "a\u2028b\x85c".encode(), b"", b"family doctor"]
    proc = subprocess.run([sys.executable, "-m", "bot", "ask", "--json"], cwd=ROOT,
                          env=_env(), input=b"\n".join(lines) + b"\n", capture_output=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    out = proc.stdout.decode("utf-8").splitlines()
    assert len(out) == len(lines)
    for raw, line in zip(lines, out, strict=True):
        obj = json.loads(line)
        assert set(obj) == JSON_KEYS
        assert obj["question"] == raw.decode("utf-8", "replace")


def test_ask_argument_with_invalid_utf8_is_answered_not_a_crash() -> None:
    proc = subprocess.run([sys.executable.encode(), b"-m", b"bot", b"ask", b"--json",
                           b"\xe9\x95\xbf\xff"], cwd=ROOT, env=_env(), capture_output=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert json.loads(proc.stdout)["question"] == "长\ufffd"


# --------------------------------------------------------------------------- 9: bad log


def _newer_schema(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    return path


@pytest.mark.parametrize("command", ["ask", "chat"])
@pytest.mark.parametrize("case", ["directory", "garbage", "newer_schema", "short_secret"])
def test_unusable_query_log_is_one_clear_line_and_no_stray_secret(
    tmp_path: Path, command: str, case: str
) -> None:
    env = {}
    db = tmp_path / "queries.db"
    if case == "directory":
        db.mkdir()
    elif case == "garbage":
        db.write_bytes(b"this is not a database at all" * 100)
    elif case == "newer_schema":
        _newer_schema(db)
    else:
        env["BOT_HMAC_SECRET"] = "short"
    env["BOT_DB_PATH"] = str(db)
    out = run_bot(command, "--lang", "en", *(["长护险"] if command == "ask" else []),
                  stdin="长护险\n", env=env)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the query log cannot be used"), \
        out.stderr
    assert "Traceback" not in out.stderr and "Event loop is closed" not in out.stderr
    assert out.stdout.strip() == "" or command == "chat"
    assert not list(tmp_path.glob("*.hmac-secret"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_query_log_in_read_only_directory_is_one_clear_line_and_no_stray_secret(
    tmp_path: Path,
) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        out = run_bot("ask", "--log", "长护险", env={"BOT_DB_PATH": str(ro / "q.db")})
    finally:
        ro.chmod(0o755)
    assert out.returncode == 1 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not list(ro.iterdir())


# --------------------------------------------------------------------------- 11: SIGTERM


def test_sigterm_during_ask_log_batch_loses_no_logged_question(tmp_path: Path) -> None:
    db = tmp_path / "queries.db"
    batch = tmp_path / "questions.txt"
    questions = ["长护险一个月给多少钱", "异地就医怎么备案", "家庭医生能上门吗", "今天天气"]
    batch.write_text("\n".join(questions * 10_000) + "\n", encoding="utf-8")
    with batch.open("rb") as stdin:
        proc = _bot("ask", "--log", "--json", env=_env(BOT_DB_PATH=str(db)), stdin=stdin.fileno())
        seen = _read_until(proc, b"\n", count=1_000)
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=60)
    answered = (seen + rest).count(b"\n")
    assert answered < 40_000, "the batch finished before SIGTERM: make it bigger"
    assert proc.returncode == 143, err.decode(errors="replace")
    assert b"Traceback" not in err
    assert _rows(db) >= answered


# --------------------------------------------------------------------------- chat


def test_one_ctrl_c_ends_chat_cleanly_with_the_log_flushed(tmp_path: Path) -> None:
    db = tmp_path / "queries.db"
    proc = _bot("chat", "--lang", "en", env=_env(BOT_DB_PATH=str(db)))
    assert proc.stdin is not None
    _read_until(proc, b"ask> ")
    proc.stdin.write("长护险一个月给多少钱\n".encode())
    proc.stdin.flush()
    _read_until(proc, b"ask> ")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode(errors="replace")
    assert b"Bye!" in out and b"Traceback" not in err
    assert _rows(db) == 1


def test_picking_a_numbered_suggestion_in_chat_is_logged_like_the_button(
    tmp_path: Path,
) -> None:
    env = {"BOT_DB_PATH": str(tmp_path / "queries.db")}
    out = run_bot("chat", "--lang", "en", stdin="在外地能直接结算吗\n1\nq\n", env=env)
    assert out.returncode == 0, out.stderr
    stats = json.loads(run_bot("review", "stats", "--json", "--all", env=env).stdout)
    assert stats["total"] == 1 and stats["events"]["selections"] == 1
    unanswered = json.loads(run_bot("review", "unanswered", "--json", "--all", env=env).stdout)
    assert unanswered["total"] == 0


@pytest.mark.parametrize("number", ["1", "3", "１"])
def test_a_bare_number_with_nothing_to_pick_says_so_and_logs_nothing(
    tmp_path: Path, number: str
) -> None:
    db = tmp_path / "queries.db"
    out = run_bot("chat", "--lang", "en", stdin=f"{number}\nq\n", env={"BOT_DB_PATH": str(db)})
    assert out.returncode == 0, out.stderr
    assert "no suggestions to choose from" in out.stdout
    assert "Did you mean" not in out.stdout and "Sorry" not in out.stdout
    assert _rows(db) == 0


# --------------------------------------------------------------------------- 20: --region


@pytest.mark.parametrize("command", ["ask", "chat"])
@pytest.mark.parametrize("region", ["beijing", "urumqi", "nowhere"])
def test_unknown_region_is_rejected_with_the_valid_ones(command: str, region: str) -> None:
    out = run_bot(command, "--lang", "en", "--region", region,
                  *(["长护险"] if command == "ask" else []), stdin="q\n")
    assert out.returncode == 2
    assert region in out.stderr and "changji" in out.stderr and "wuhai" in out.stderr
    assert out.stdout == ""


@pytest.mark.parametrize("region", ["changji", "昌吉", "Changji", "昌吉回族自治州"])
def test_region_ids_and_aliases_are_accepted_and_mean_the_region(region: str) -> None:
    out = run_bot("ask", "--json", "--region", region, "长护险一个月给多少钱")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["region"] == "changji"


@pytest.mark.parametrize(("value", "region_id"), [
    ("changji", "changji"), ("CHANGJI", "changji"), ("昌吉", "changji"), ("昌吉州", "changji"),
    ("吉木萨尔", "jimsar"), ("海勃湾区", "wuhai"), ("khorgos", "horgos"), (" 通辽 ", "tongliao"),
])
def test_region_alias_maps_to_its_id(kb: KnowledgeBase, value: str, region_id: str) -> None:
    assert _region(kb, value) == region_id


def test_region_that_is_only_a_place_elsewhere_is_unknown(kb: KnowledgeBase) -> None:
    with pytest.raises(LookupError):
        _region(kb, "北京")
