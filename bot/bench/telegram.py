"""`python -m bot bench --telegram`: the bot's throughput and latency through a fake Telegram.

The bot runs as it is deployed (`python -m bot run`, a separate process) against the fake
Bot API server of the test suite on 127.0.0.1. Two runs of N users x M questions:

- saturation: each user asks, waits for the answer, asks again, as fast as it can. This
  gives the most messages per second the bot handles; its latency is mostly queueing
  (N questions always waiting), so it is reported but is not the latency figure.
- paced: the same questions offered at a steady RATE messages/s (200, the goal), spread
  over the N users. This gives p50/p99 from the moment an update is available to the
  moment the reply reaches the server, at that load.

Also the bot process's peak RSS. Figures, not a timed test.

Telegram's own flood limit (about 30 messages a second per bot) is switched off for the
run (BOT_TELEGRAM_MAX_RATE=0) as is the per-user limit: the point is what the bot itself
can do. Needs the checkout's tests/ (the fake server lives there).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

from bot.core.kb import load_kb

ROOT = Path(__file__).resolve().parent.parent
PACED_RATE = 200.0
# Questions no FAQ answers, so the mix includes fallbacks (and their topic buttons).
OFF_TOPIC = ("今天天气怎么样", "你是谁", "推荐一家好吃的餐馆", "😀", "how do I renew my passport")


def _questions(faq_dir: Path) -> list[str]:
    """A realistic mix: FAQ phrasings (answers and clarifies), English, and off-topic."""
    kb = load_kb(faq_dir)
    out = [q for e in kb.entries for q in e.questions["zh"]]
    out += [e.questions["en"][0] for e in kb.entries]
    return out + list(OFF_TOPIC) * max(1, len(out) // 20)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


async def _run(users: int, messages: int, faq_dir: Path) -> dict[str, Any]:
    try:
        import psutil
    except ImportError:
        raise SystemExit("error: bench --telegram needs psutil: pip install -e '.[test]'") from None

    sys.path.insert(0, str(ROOT))
    try:
        from bot.testing.fake_bot_api import TOKEN, Call, FakeBotAPI, user
    except ImportError as exc:
        raise SystemExit(f"error: the fake Bot API is in the checkout's tests/: {exc}") from exc

    questions = _questions(faq_dir)
    rng = random.Random(4)
    # Replies of one chat come in the order of its questions (per-chat ordering).
    waiting: dict[int, deque[asyncio.Future[Call]]] = defaultdict(deque)

    def on_call(call: Call) -> None:
        if call.method == "sendMessage" and call.status == 200:
            queue = waiting.get(int(call.chat_id or 0))
            if queue:
                fut = queue.popleft()
                if not fut.done():
                    fut.set_result(call)

    async with FakeBotAPI() as api:
        api.listeners.append(on_call)
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN,
                   "TELEGRAM_API_BASE_URL": api.base_url, "BOT_FAQ_DIR": str(faq_dir),
                   "BOT_DB_PATH": str(Path(tmp) / "queries.db"),
                   "BOT_HMAC_SECRET": "bench-secret-0123456789", "BOT_USER_RATE_LIMIT": "0",
                   "BOT_TELEGRAM_MAX_RATE": "0", "BOT_STAFF_IDS": "", "BOT_LOG_LEVEL": "WARNING",
                   "BOT_FAQ_POLL_SECONDS": "60", "PYTHONPATH": str(ROOT)}
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, cwd=tmp,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            child = psutil.Process(proc.pid)
            peak_rss = 0
            stop_sampling = asyncio.Event()

            async def sample() -> None:
                nonlocal peak_rss
                while not stop_sampling.is_set():
                    try:
                        peak_rss = max(peak_rss, child.memory_info().rss)
                    except psutil.Error:
                        return
                    await asyncio.sleep(0.02)

            sampler = asyncio.create_task(sample())
            try:
                await api.wait_for("deleteWebhook", timeout=30)
                async def one(uid: int, text: str, out: list[float] | None) -> None:
                    fut: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
                    waiting[uid].append(fut)
                    update_id = api.send_text(text, user(uid))
                    call = await asyncio.wait_for(fut, 60)
                    if out is not None:
                        out.append((call.t - api.update_times[update_id]) * 1000)

                async def closed_loop(uid: int, n: int, out: list[float] | None) -> None:
                    for _ in range(n):
                        await one(uid, rng.choice(questions), out)

                # Warm-up: imports, connection pool, first SQLite writes.
                await asyncio.gather(*(closed_loop(10_000 + u, 3, None) for u in range(users)))
                rss_before = child.memory_info().rss
                saturated: list[float] = []
                started = time.perf_counter()
                await asyncio.gather(*(closed_loop(10_000 + u, messages, saturated)
                                       for u in range(users)))
                elapsed = time.perf_counter() - started

                paced: list[float] = []
                loop = asyncio.get_running_loop()
                t0 = loop.time()
                tasks = []
                for i in range(users * messages):
                    delay = t0 + i / PACED_RATE - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(
                        one(20_000 + i % users, rng.choice(questions), paced)))
                await asyncio.gather(*tasks)
                paced_elapsed = loop.time() - t0
                cpu = child.cpu_times()
            finally:
                stop_sampling.set()
                await sampler
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                try:
                    _, err = await asyncio.wait_for(proc.communicate(), 30)
                except TimeoutError:
                    proc.kill()
                    err = b""
            if proc.returncode != 0:
                raise SystemExit(f"error: the bot exited with {proc.returncode}:\n"
                                 f"{err.decode(errors='replace')[-2000:]}")
    n = len(saturated)
    return {
        "users": users, "messages_per_user": messages, "messages": n,
        "seconds": elapsed, "per_second": n / elapsed,
        "sat_p50_ms": statistics.median(saturated), "sat_p99_ms": _percentile(saturated, 99),
        "paced_rate": len(paced) / paced_elapsed,
        "p50_ms": statistics.median(paced), "p99_ms": _percentile(paced, 99),
        "max_ms": max(paced), "peak_rss_mb": peak_rss / 2**20,
        "rss_after_warmup_mb": rss_before / 2**20,
        "bot_cpu_seconds": cpu.user + cpu.system, "cpus": os.cpu_count(),
    }


def main(args: argparse.Namespace) -> int:
    """Run the benchmark and print the figures."""
    users = getattr(args, "users", 20)
    messages = getattr(args, "messages", 50)
    if getattr(args, "quick", False):
        users, messages = min(users, 5), min(messages, 10)
    faq_dir = Path(getattr(args, "faq_dir", None) or ROOT / "faq")
    r = asyncio.run(_run(users, messages, faq_dir))
    print(f"Telegram front end, through a fake Bot API on 127.0.0.1 ({r['cpus']} CPUs)")
    print(f"  saturation: {r['users']} users x {r['messages_per_user']} messages, each user "
          f"asking again as soon as answered")
    print(f"    throughput      {r['per_second']:8.1f} messages/s   (goal >= 200); "
          f"queueing latency p50 {r['sat_p50_ms']:.1f} ms, p99 {r['sat_p99_ms']:.1f} ms")
    print(f"  paced: the same number of messages offered at {r['paced_rate']:.0f} messages/s")
    print(f"    update -> reply p50 {r['p50_ms']:6.1f} ms   p99 {r['p99_ms']:6.1f} ms   "
          f"max {r['max_ms']:6.1f} ms   (goal p99 <= 50)")
    print(f"  bot peak RSS      {r['peak_rss_mb']:8.1f} MB   (goal <= 150)")
    print(f"  bot CPU time      {r['bot_cpu_seconds']:8.2f} s (both runs and start-up)")
    return 0
