"""The command line, run as a resident or admin would: `python -m bot …` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import JSON_KEYS, ROOT


def run_bot(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        text=True,
        capture_output=True,
        cwd=cwd,
        env=full_env,
        timeout=60,
        check=False,
    )


def test_ask_batch_json_one_line_per_question_in_order() -> None:
    questions = [
        "长护险一个月给多少钱",
        "",
        "😀",
        "北京异地就医怎么备案",
        "asdf",
        "家庭医生能上门吗",
    ]
    out = run_bot("ask", "--json", stdin="\n".join(questions) + "\n")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == len(questions)
    for q, line in zip(questions, lines, strict=True):
        obj = json.loads(line)
        assert set(obj) == JSON_KEYS and obj["question"] == q


def test_ask_batch_plain_one_line_per_question() -> None:
    out = run_bot("ask", stdin="长护险一个月给多少钱\n今天天气怎么样\n")
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 2


def test_ask_with_arguments_prints_source_line() -> None:
    out = run_bot("ask", "长期护理保险每个月最多能给多少钱", "--lang", "en")
    assert out.returncode == 0, out.stderr
    assert "Source:" in out.stdout or "Did you mean" in out.stdout


def test_chat_picks_a_numbered_suggestion() -> None:
    out = run_bot("chat", stdin="医保\n1\nq\n")
    assert out.returncode == 0, out.stderr
    assert "再见" in out.stdout


def test_check_faq_ok_and_summary() -> None:
    out = run_bot("check-faq")
    assert out.returncode == 0, out.stderr
    assert "entries" in out.stdout and "OK" in out.stdout and "warning" not in out.stdout


def test_check_faq_names_the_problem(tmp_path: Path) -> None:
    import shutil

    faq = tmp_path / "faq"
    shutil.copytree(ROOT / "faq", faq)
    (faq / "family_doctor.yaml").write_text("topic: [\n", encoding="utf-8")
    out = run_bot("check-faq", str(faq))
    assert out.returncode == 1
    assert "family_doctor.yaml:" in out.stderr and "YAML syntax error" in out.stderr


def test_bad_faq_dir_is_a_clear_error(tmp_path: Path) -> None:
    out = run_bot("ask", "长护险", env={"BOT_FAQ_DIR": str(tmp_path / "missing")})
    assert out.returncode == 1
    assert "not found" in out.stderr and "Traceback" not in out.stderr


def test_runs_from_another_directory(tmp_path: Path) -> None:
    out = run_bot("ask", "--json", "长护险", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["question"] == "长护险"


def test_check_faq_counts_one_problem_in_the_singular(tmp_path: Path) -> None:
    import shutil

    faq = tmp_path / "faq"
    shutil.copytree(ROOT / "faq", faq)
    (faq / "family_doctor.yaml").write_text("topic: [\n", encoding="utf-8")
    out = run_bot("check-faq", str(faq), "--lang", "en")
    assert "(1 problem):" in out.stderr, out.stderr


def test_check_faq_near_duplicate_warning_gives_file_and_line_of_both(tmp_path: Path) -> None:
    import shutil

    from bot.core.kb import load_kb

    faq = tmp_path / "faq"
    shutil.copytree(ROOT / "faq", faq)
    kb = load_kb(faq)
    a, b = kb.entries_in("long_term_care")[:2]
    path = faq / b.file
    path.write_text(path.read_text(encoding="utf-8").replace(
        b.questions["zh"][0], a.questions["zh"][0], 1), encoding="utf-8")
    out = run_bot("check-faq", str(faq), "--lang", "en")
    assert out.returncode == 0, out.stderr
    warning = next(line for line in out.stdout.splitlines() if line.startswith("warning"))
    assert f"{a.file}:{a.phrasing_line('zh', 0)} '{a.id}'" in warning, warning
    assert f"{b.file}:{b.phrasing_line('zh', 0)} '{b.id}'" in warning, warning
    assert "1 overlap warning" in out.stdout and "warnings" not in out.stdout
