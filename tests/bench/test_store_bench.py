"""The store benchmark runs end to end (tiny sizes: the figures themselves are not tested)."""

from __future__ import annotations

import argparse

import pytest

from bot.bench import store as store_bench


def test_bench_runs_and_prints_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(rows=3000, quick=True, writer_rows=300)
    assert store_bench.main(args) == 0
    out = capsys.readouterr().out
    assert "rows/s" in out and "MB per million questions" in out
    for report in ("unanswered", "feedback", "top", "stats", "export csv"):
        assert f"{report} (all)" in out and f"{report} (30d)" in out
    assert "purge of the oldest 30 days" in out
