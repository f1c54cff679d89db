"""Staff reports on a seeded log: unanswered groups, feedback, top, stats, export, and the
`review` / `purge` commands as a staff member runs them."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.cli.staff import parse_age
from bot.staff import clusters, export, periods, reports, tables
from bot.store.querystore import QueryStore
from bot.store.records import Period, QueryRecord
from tests.helpers import FAQ_DIR
from tests.staff.helpers import run_cli
from tests.store.helpers import SECRET, rec, rows

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
LAST_30 = Period(NOW - dt.timedelta(days=30))


def ago(hours: float) -> dt.datetime:
    return NOW - dt.timedelta(hours=hours)


def seed_records() -> tuple[list[QueryRecord], list[tuple[str, str, object]]]:
    """Records and follow-up events (vote/pick) of a small, known log."""
    records: list[QueryRecord] = []
    events: list[tuple[str, str, object]] = []
    h = 1.0

    def add(text: str, n: int, **kw: object) -> list[QueryRecord]:
        nonlocal h
        made = []
        for _ in range(n):
            r = rec(text, ts=ago(h), **kw)  # type: ignore[arg-type]
            h += 1.5
            records.append(r)
            made.append(r)
        return made

    add("生育津贴怎么领", 5, status="fallback")
    add("生育津贴咋领取", 3, status="fallback", normalized="生育津贴怎么领取")
    add("生育津贴领取流程", 1, status="fallback")
    add("医保卡丢了怎么办", 3, status="fallback")
    add("医保卡丢了咋补办", 2, status="fallback", normalized="医保卡丢了怎么补办")
    add("社保卡密码忘了怎么办", 2, status="fallback")
    add("报销", 2, status="clarify", suggestions=("e-2", "e-1"))
    for r in add("医保", 1, status="clarify", suggestions=("e-2", "e-1")):
        events.append(("pick", r.query_id, "e-2"))
        events.append(("vote", r.query_id, False))
    add("😀", 2, status="fallback", normalized="", reason="empty")
    add("我的电话13812345678能查吗", 1, status="fallback")
    add("=HYPERLINK(\"http://evil\")", 1, status="fallback", normalized="hyperlink http evil")
    e1 = add("异地就医怎么备案", 6, entry_id="e-1", topic="t1", region="wuhai")
    add("How do I file?", 3, entry_id="e-2", topic="t2", lang="en", normalized="how do i file")
    events += [("vote", e1[0].query_id, False), ("vote", e1[1].query_id, False),
               ("vote", e1[2].query_id, True)]
    # Outside the last 30 days.
    records.append(rec("很久以前的问题", status="fallback", ts=NOW - dt.timedelta(days=60)))
    return records, events


async def _seed(path: Path) -> None:
    records, events = seed_records()
    s = await QueryStore.open(path, SECRET)
    for r in records:
        await s.log_query(r)
    for kind, qid, value in events:
        if kind == "pick":
            await s.log_selection(qid, str(value))
        else:
            await s.log_feedback(qid, bool(value))
    await s.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("review") / "queries.db"
    asyncio.run(_seed(path))
    return path


@pytest.fixture
async def store(seeded: Path) -> object:
    s = await QueryStore.open(seeded, None)
    yield s
    await s.close()


# --------------------------------------------------------------------------- data functions


async def test_unanswered_groups_similar_questions(store: QueryStore) -> None:
    r = await clusters.unanswered(store, LAST_30)
    groups = {g.examples[0]: g for g in r.groups}
    first = r.groups[0]
    assert first.examples == ("生育津贴怎么领", "生育津贴咋领取", "生育津贴领取流程")
    assert first.count == 9
    assert groups["医保卡丢了怎么办"].count == 5
    assert groups["医保卡丢了怎么办"].examples == ("医保卡丢了怎么办", "医保卡丢了咋补办")
    assert groups["社保卡密码忘了怎么办"].count == 2  # a different problem: its own group
    # The unresolved clarify is there, with what the engine offered; the resolved one is not.
    assert groups["报销"].count == 2 and groups["报销"].offered == ("e-2",)
    assert "医保" not in groups
    assert all("😀" not in g.examples for g in r.groups)  # nothing to learn from emoji
    assert all(g.examples[0] != "很久以前的问题" for g in r.groups)  # outside the period
    assert [g.count for g in r.groups] == sorted((g.count for g in r.groups), reverse=True)
    assert first.first_seen < first.last_seen
    assert r.total == 9 + 5 + 2 + 2 + 1 + 1
    assert any("[PHONE]" in e for g in r.groups for e in g.examples)
    everything = await clusters.unanswered(store, Period())
    assert any(g.examples[0] == "很久以前的问题" for g in everything.groups)


async def test_groups_can_be_found_by_key_or_rank(store: QueryStore) -> None:
    r = await clusters.unanswered(store, LAST_30)
    g = r.groups[1]
    assert clusters.find_group(r, g.key) == g
    assert clusters.find_group(r, "2") == g
    assert clusters.find_group(r, "#2") == g
    assert clusters.find_group(r, "99") is None
    assert clusters.find_group(r, "ffffff") is None
    again = await clusters.unanswered(store, LAST_30)
    assert [x.key for x in again.groups] == [x.key for x in r.groups]  # stable


def test_phrasings_skip_masked_long_and_existing_questions() -> None:
    qs = (clusters.Question("生育津贴怎么领", 5, "zh", "生育津贴怎么领"),
          clusters.Question("我的电话[PHONE]能查吗", 1, "zh", "x"),
          clusters.Question("长" * 80, 1, "zh", "y"),
          clusters.Question("How do I claim it?", 1, "en", "how do i claim it"),
          clusters.Question("生育津贴咋领取", 2, "zh", "z"))
    g = clusters.Group("k", 10, "a", "b", qs, ())
    got = clusters.phrasings(g, existing=["生育津贴咋领取"])
    assert got == {"zh": ["生育津贴怎么领"], "en": ["How do I claim it?"]}
    assert clusters.phrasings(g, limit=1) == {"zh": ["生育津贴怎么领"]}


async def test_feedback_report(store: QueryStore) -> None:
    items = await reports.feedback(store, LAST_30)
    assert [(f.entry_id, f.unhelpful, f.helpful) for f in items] == [("e-1", 2, 1), ("e-2", 1, 0)]
    assert items[0].questions == (("异地就医怎么备案", 2),)
    assert items[1].questions == (("医保", 1),)  # the vote after picking e-2
    assert round(items[0].unhelpful_share, 2) == 0.67


async def test_top_report(store: QueryStore) -> None:
    r = await reports.top(store, LAST_30)
    assert [(e.entry_id, e.topic, e.answered, e.picked) for e in r.entries] == [
        ("e-1", "t1", 6, 0), ("e-2", "t2", 3, 1)]
    assert r.topics == (("t1", None, 6), ("t2", None, 4))


async def test_stats_report(store: QueryStore) -> None:
    r = await reports.stats(store, LAST_30)
    assert r.total == 32
    assert r.by_status == {"fallback": 20, "answer": 9, "clarify": 3}
    assert list(r.by_status) == ["fallback", "answer", "clarify"]  # most frequent first
    assert r.by_topic == {"-": 23, "t1": 6, "t2": 3}
    assert r.by_region == {"-": 26, "wuhai": 6}
    assert r.by_lang == {"zh": 29, "en": 3}
    assert sum(d.total for d in r.by_day) == 32
    assert r.events == {"helpful": 1, "unhelpful": 3, "selections": 1, "denied": 0}
    assert r.avg_latency_ms == pytest.approx(2.0)
    all_time = await reports.stats(store, Period())
    assert all_time.total == 33


async def test_export_csv_opens_in_excel_with_chinese(store: QueryStore) -> None:
    out = io.StringIO(newline="")
    n = await export.export(store, Period(), "csv", out)
    data = out.getvalue()
    assert n == 33
    assert data.startswith("\ufeff")  # the BOM: Excel then reads UTF-8
    raw = data.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert table[0][:3] == ["ts", "query_id", "channel"]
    assert len(table) == 34
    col = table[0].index("text")
    texts = [r[col] for r in table[1:]]
    assert "生育津贴怎么领" in texts and "很久以前的问题" in texts
    assert "'=HYPERLINK(\"http://evil\")" in texts  # a formula is shown, not run
    assert not any("13812345678" in t for t in texts)
    assert "\r\n" in data  # Excel's line ends
    sel = table[0].index("selected")
    assert "e-2" in [r[sel] for r in table[1:]]


async def test_export_jsonl(store: QueryStore) -> None:
    out = io.StringIO()
    n = await export.export(store, LAST_30, "jsonl", out)
    lines = out.getvalue().splitlines()
    assert n == len(lines) == 32
    objs = [json.loads(line) for line in lines]
    assert not out.getvalue().startswith("\ufeff")
    assert {"ts", "text", "status", "suggestions", "helpful"} <= set(objs[0])
    assert any(o["suggestions"] == ["e-2", "e-1"] for o in objs)
    assert [o["ts"] for o in objs] == sorted(o["ts"] for o in objs)


# --------------------------------------------------------------------------- periods, tables


def test_make_period() -> None:
    now = dt.datetime(2025, 6, 15, 12, tzinfo=dt.UTC)
    assert periods.make_period(None, None, now=now) == Period(now - dt.timedelta(days=30))
    assert periods.make_period(None, None, everything=True, now=now) == Period()
    p = periods.make_period("2025-06-01", "2025-06-10", now=now)
    assert p == Period(dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
                       dt.datetime(2025, 6, 11, tzinfo=dt.UTC))  # --until day included
    assert periods.make_period("7d", None, now=now).since == now - dt.timedelta(days=7)
    assert periods.make_period("12h", None, now=now).since == now - dt.timedelta(hours=12)
    assert periods.make_period("2025-06-01T08:00:00+08:00", None, now=now).since == dt.datetime(
        2025, 6, 1, tzinfo=dt.UTC)
    with pytest.raises(periods.PeriodError):
        periods.make_period("last tuesday", None, now=now)
    with pytest.raises(periods.PeriodError):
        periods.make_period("2025-06-10", "2025-06-01", now=now)


def test_table_aligns_chinese_by_display_width() -> None:
    out = tables.table(("问题", "n"), [("生育津贴", 1), ("ab", 22)], numeric=(1,))
    lines = out.splitlines()
    assert [tables.width(line) for line in lines] == [tables.width(lines[0])] * 4
    assert lines[2].endswith(" 1") and lines[3].endswith("22")
    assert tables.clip("长" * 50, 10) == "长" * 4 + "…"


def test_parse_age() -> None:
    assert parse_age("180d") == dt.timedelta(days=180)
    assert parse_age("26w") == dt.timedelta(weeks=26)
    assert parse_age("90") == dt.timedelta(days=90)
    with pytest.raises(periods.PeriodError):
        parse_age("six months")


# --------------------------------------------------------------------------- the commands


@pytest.fixture
def db_copy(seeded: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the seeded log that a test may change (purge)."""
    import shutil

    dest = tmp_path / "queries.db"
    shutil.copy(seeded, dest)
    yield dest


def test_review_commands_print_tables(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["review", "unanswered"], seeded) == 0
    out = capsys.readouterr().out
    assert "生育津贴怎么领 | 生育津贴咋领取" in out and "很久以前" not in out
    assert run_cli(["review", "unanswered", "--all"], seeded) == 0
    assert "很久以前的问题" in capsys.readouterr().out
    for report in ("feedback", "top", "stats"):
        assert run_cli(["review", report, "--since", "30d"], seeded) == 0, report
        assert capsys.readouterr().out.strip(), report
    assert run_cli(["review", "stats", "--until", "40d", "--all"], seeded) == 0
    assert "提问" in capsys.readouterr().out


# Words of the English reports' titles and headings; none may show in the Chinese ones.
ENGLISH_HEADINGS = ("Unanswered questions", "first seen", "engine offered", "examples",
                    "Answers voted", "FAQ question", "last vote", "Most asked", "Topics",
                    "answered", "picked", "Questions,", "Votes:", "day (UTC)", "count",
                    "share", "language", "region", "now UTC")
CHINESE_HEADINGS = ("没答好的问题", "首次", "例句", "被标为没帮助", "问得最多", "主题", "次数",
                    "占比", "语言", "日期（UTC）", "现在")


def test_staff_report_headings_follow_the_lang_option(
        seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outs = {}
    for lang in ("zh", "en"):
        outs[lang] = ""
        for report in ("unanswered", "feedback", "top", "stats"):
            assert run_cli(["review", report, "--lang", lang], seeded) == 0
            outs[lang] += capsys.readouterr().out
    for word in ENGLISH_HEADINGS:
        assert word not in outs["zh"], word
        assert word in outs["en"], word
    for word in CHINESE_HEADINGS:
        assert word in outs["zh"], word
        assert word not in outs["en"], word


def test_review_json(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["review", "unanswered", "--json"], seeded) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["groups"][0]["count"] == 9 and data["period"]["until"] is None
    assert run_cli(["review", "stats", "--json", "--all"], seeded) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 33
    assert run_cli(["review", "top", "--json"], seeded) == 0
    assert json.loads(capsys.readouterr().out)["entries"][0]["entry_id"] == "e-1"
    assert run_cli(["review", "feedback", "--json"], seeded) == 0
    assert json.loads(capsys.readouterr().out)["entries"][0]["unhelpful"] == 2


def test_review_export_to_a_file(seeded: Path, tmp_path: Path) -> None:
    out = tmp_path / "log.csv"
    assert run_cli(["review", "export", "--format", "csv", "--all", "-o", str(out)], seeded) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as f:
        assert len(list(csv.reader(f))) == 34


def test_review_suggest_prints_a_yaml_snippet(seeded: Path, capsys: pytest.CaptureFixture[str]
                                              ) -> None:
    from bot.core.kb import FaqError, load_kb

    try:
        kb = load_kb(FAQ_DIR)
    except FaqError as exc:
        pytest.skip(f"the FAQ does not load right now: {exc}")
    entry = kb.entries[0].id
    assert run_cli(["review", "suggest", "1", entry, "--lang", "en"], seeded) == 0
    captured = capsys.readouterr()
    snippet = yaml.safe_load(captured.out)
    assert snippet[0]["id"] == entry
    assert "生育津贴怎么领" in snippet[0]["questions"]["zh"]
    assert "--apply" in captured.err
    assert run_cli(["review", "suggest", "zzzzzz", entry], seeded) == 1
    assert run_cli(["review", "suggest", "1", "no-such-entry"], seeded) == 1


def test_purge_command(db_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["purge", "--older-than", "45d", "--dry-run", "--lang", "en"], db_copy) == 0
    assert "1 questions are older" in capsys.readouterr().out
    assert rows(db_copy, "SELECT COUNT(*) FROM queries") == [(33,)]
    assert run_cli(["purge", "--older-than", "45d", "--json"], db_copy) == 0
    assert json.loads(capsys.readouterr().out)["deleted"]["queries"] == 1
    assert rows(db_copy, "SELECT COUNT(*) FROM queries") == [(32,)]
    assert run_cli(["purge"], db_copy) == 0  # default: BOT_RETENTION_DAYS (180)
    assert "0" in capsys.readouterr().out


def test_commands_without_a_database_or_with_a_bad_period(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    missing = tmp_path / "none.db"
    assert run_cli(["review", "stats", "--lang", "en"], missing) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not missing.exists()  # a report never creates a database
    assert run_cli(["purge"], missing) == 1
    assert run_cli(["review", "stats", "--since", "yesterday-ish"], missing) == 2
