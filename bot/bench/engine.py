"""`python -m bot bench`: start-up, latency and memory of the engine, beside a naive baseline.

Figures, not assertions: this prints what it measures on the machine it runs on.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from rapidfuzz import fuzz, process

from bot.bench.check import print_overlap_check
from bot.bench.evaluation import DEFAULT_SET, Case, load_cases
from bot.bench.synthetic import scaled_kb
from bot.core.engine import Engine
from bot.core.kb import KnowledgeBase, load_kb


def _percentiles(samples_ms: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


def _latencies(fn: Callable[[str], object], questions: Sequence[str], rounds: int) -> list[float]:
    for q in questions[:20]:  # warm caches
        fn(q)
    out: list[float] = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - t0) * 1000)
    return out


class NaiveBaseline:
    """What a first attempt looks like: WRatio over the raw phrasings, no normalization."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.rows = [(e.id, q) for e in kb.entries for qs in e.questions.values() for q in qs]
        self.texts = [q for _, q in self.rows]

    def best(self, question: str) -> str | None:
        hit = process.extractOne(
            question, self.texts, scorer=fuzz.WRatio, processor=None, score_cutoff=0
        )
        return self.rows[hit[2]][0] if hit else None


def _accuracy(best: Callable[[str], str | None], cases: Sequence[Case]) -> float:
    ins = [c for c in cases if c.expect]
    return sum(best(c.question) == c.expect for c in ins) / len(ins) if ins else 0.0


def _cold_start_ms(runs: int = 3) -> float:
    """Wall time of a whole `python -m bot ask --json 长护险` process: imports, FAQ, index."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "--json", "长护险"],
            capture_output=True,
            check=True,
        )
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    kb = load_kb(args.faq_dir)
    t1 = time.perf_counter()
    engine = Engine(kb)
    t2 = time.perf_counter()
    cases = load_cases(DEFAULT_SET)
    questions = [c.question for c in cases]
    rounds = 1 if args.quick else 5

    print(
        f"python {sys.version.split()[0]}; {len(kb.entries)} entries; "
        f"{len(questions)} evaluation questions x {rounds} rounds"
    )
    print(
        f"load FAQ {1000 * (t1 - t0):.0f} ms + build index {1000 * (t2 - t1):.0f} ms "
        f"= {1000 * (t2 - t0):.0f} ms in process"
    )
    print(
        f"cold start, a whole `python -m bot ask` process: {_cold_start_ms():.0f} ms (median of 3)"
    )
    print()
    print(
        f"{'engine':<28}{'entries':>8}{'index ms':>10}{'p50 ms':>9}{'p99 ms':>9}{'top-1':>8}"
        f"{'peak RSS MB':>13}"
    )

    def row(name: str, n: int, index_ms: float, lat: list[float], acc: str) -> None:
        # Peak RSS of the whole process so far (it only grows): the row that first
        # reaches it is what it takes.
        p50, p99 = _percentiles(lat)
        print(
            f"{name:<28}{n:>8}{index_ms:>10.0f}{p50:>9.3f}{p99:>9.3f}{acc:>8}"
            f"{_peak_rss_mb():>13.0f}",
            flush=True,
        )

    def best_of(e: Engine) -> Callable[[str], str | None]:
        def best(q: str) -> str | None:
            ranked = e.rank(q)[2]
            return ranked[0].entry_id if ranked else None

        return best

    row(
        "yibao engine",
        len(kb.entries),
        1000 * (t2 - t1),
        _latencies(engine.ask, questions, rounds),
        f"{_accuracy(best_of(engine), cases):.3f}",
    )
    tb = time.perf_counter()
    naive = NaiveBaseline(kb)
    row(
        "naive WRatio baseline",
        len(kb.entries),
        1000 * (time.perf_counter() - tb),
        _latencies(naive.best, questions, rounds),
        f"{_accuracy(naive.best, cases):.3f}",
    )
    rss_real = _peak_rss_mb()
    sizes = (1_000,) if args.quick else (1_000, 10_000)
    for size in sizes:
        big = scaled_kb(kb, size)
        tb = time.perf_counter()
        big_engine = Engine(big)
        index_ms = 1000 * (time.perf_counter() - tb)
        row(
            "yibao engine (synthetic)",
            size,
            index_ms,
            _latencies(big_engine.ask, questions, rounds),
            f"{_accuracy(best_of(big_engine), cases):.3f}",
        )
        # One engine at a time, as a bot process holds one (a reload swaps it).
        del big_engine
        tb = time.perf_counter()
        big_naive = NaiveBaseline(big)
        row(
            "naive baseline (synthetic)",
            size,
            1000 * (time.perf_counter() - tb),
            _latencies(big_naive.best, questions, 1),
            f"{_accuracy(big_naive.best, cases):.3f}",
        )
        del big_naive, big
        gc.collect()
    print()
    print(
        f"peak RSS of this whole process: {rss_real:.0f} MB with the real FAQ; "
        f"{_peak_rss_mb():.0f} MB after the {sizes[-1]:,}-entry KB"
    )
    print_overlap_check(kb)
    return 0
