"""`review suggest --apply`: phrasings added to a copy of the real FAQ, comments and layout
kept, the KB re-validated before the file is replaced, and refusals that leave it untouched."""

from __future__ import annotations

import asyncio
import datetime as dt
import difflib
from pathlib import Path

import pytest
import yaml

from bot.core import faq_edit
from bot.core.engine import Engine
from bot.core.kb import FaqError, KnowledgeBase, Problem, load_kb
from bot.store.querystore import QueryStore
from tests.staff.helpers import run_cli
from tests.store.helpers import SECRET, rec


@pytest.fixture
def faq(faq_copy: Path) -> tuple[Path, KnowledgeBase]:
    """A copy of the real FAQ (in tmp_path) and its KB; skipped while the FAQ is invalid."""
    try:
        return faq_copy, load_kb(faq_copy)
    except FaqError as exc:
        pytest.skip(f"the FAQ does not load right now (being edited?): {exc}")


def _only_added(old: str, new: str) -> list[str]:
    """The lines added; fails if any existing line changed or went away."""
    added = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        assert not line.startswith("- "), f"line changed or removed: {line}"
        if line.startswith("+ "):
            added.append(line[2:])
    return added


def test_apply_adds_phrasings_keeping_comments_and_layout(faq: tuple[Path, KnowledgeBase]) -> None:
    faq_dir, kb = faq
    entry = kb.entries[0]
    path = faq_dir / entry.file
    before = path.read_text(encoding="utf-8")
    new_zh = ["测试用的新问法：能不能办", "我想问: 冒号 # 井号也行吗"]
    new_en = ["- a phrasing that starts with a dash?"]
    result = faq_edit.apply(faq_dir, entry.id, {"zh": new_zh, "en": new_en})
    after = path.read_text(encoding="utf-8")
    assert result.file == path and result.added == {"zh": tuple(new_zh), "en": tuple(new_en)}
    added = _only_added(before, after)
    assert len(added) == 3
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(c in after.splitlines() for c in comments)
    assert [line[1:] for line in result.diff.splitlines()
            if line.startswith("+") and not line.startswith("+++")] == added
    # The KB loads and the entry has the new phrasings, exactly as given.
    edited = load_kb(faq_dir).entry(entry.id)
    assert edited.questions["zh"][-2:] == tuple(new_zh)
    assert edited.questions["en"][-1] == new_en[0]
    assert not list(faq_dir.glob(".*.tmp"))  # no temp files left behind


def test_added_phrasing_is_then_answered_with_that_entry(faq: tuple[Path, KnowledgeBase]) -> None:
    faq_dir, kb = faq
    entry = kb.entries[-1]
    odd = "居民问到的一个全新说法甲乙丙丁"
    faq_edit.apply(faq_dir, entry.id, {"zh": [odd]})
    assert Engine.from_dir(faq_dir).ask(odd).entry_id == entry.id


def test_existing_phrasings_are_not_added_twice(faq: tuple[Path, KnowledgeBase]) -> None:
    faq_dir, kb = faq
    entry = kb.entries[0]
    path = faq_dir / entry.file
    before = path.read_bytes()
    result = faq_edit.apply(faq_dir, entry.id, {"zh": [entry.questions["zh"][0],
                                                       " " + entry.questions["zh"][1] + " "]})
    assert result.added == {} and path.read_bytes() == before


def test_refused_when_the_faq_would_not_validate(faq: tuple[Path, KnowledgeBase]) -> None:
    faq_dir, kb = faq
    entry = kb.entries[0]
    path = faq_dir / entry.file
    before = path.read_bytes()
    (faq_dir / "sources.yaml").write_text("sources: [broken\n", encoding="utf-8")
    with pytest.raises(faq_edit.EditError) as exc:
        faq_edit.apply(faq_dir, entry.id, {"zh": ["一个新问法"]})
    assert exc.value.problems and "sources.yaml" in str(exc.value.problems[0])
    assert path.read_bytes() == before


def test_refused_when_validation_fails_on_the_edit(faq: tuple[Path, KnowledgeBase]) -> None:
    faq_dir, kb = faq
    entry = kb.entries[0]
    path = faq_dir / entry.file
    before = path.read_bytes()
    seen: list[Path] = []

    def picky(directory: Path) -> KnowledgeBase:
        seen.append(directory)
        raise FaqError([Problem(entry.file, "rejected for the test", entry.id)])

    with pytest.raises(faq_edit.EditError, match="would not validate"):
        faq_edit.apply(faq_dir, entry.id, {"zh": ["一个新问法"]}, validate=picky)
    assert path.read_bytes() == before
    assert seen and seen[0] != faq_dir  # validated a copy, not the real directory


def test_refused_when_the_file_changes_meanwhile(faq: tuple[Path, KnowledgeBase]) -> None:
    faq_dir, kb = faq
    entry = kb.entries[0]
    path = faq_dir / entry.file

    def meanwhile(directory: Path) -> KnowledgeBase:
        path.write_text(path.read_text(encoding="utf-8") + "# an admin's edit\n",
                        encoding="utf-8")
        return load_kb(directory)

    with pytest.raises(faq_edit.EditError, match="changed while editing"):
        faq_edit.apply(faq_dir, entry.id, {"zh": ["一个新问法"]}, validate=meanwhile)
    assert path.read_text(encoding="utf-8").endswith("# an admin's edit\n")


def test_unknown_entry(faq: tuple[Path, KnowledgeBase]) -> None:
    with pytest.raises(faq_edit.EditError, match="no entry"):
        faq_edit.apply(faq[0], "no-such-entry", {"zh": ["x"]})


def test_snippet_is_valid_yaml() -> None:
    text = faq_edit.snippet("xp-demo", {"zh": ["怎么办: 冒号", "#井号"], "en": ["How?"]},
                            "cross_province.yaml")
    assert text.startswith("# add to cross_province.yaml")
    assert yaml.safe_load(text) == [{"id": "xp-demo", "questions": {
        "zh": ["怎么办: 冒号", "#井号"], "en": ["How?"]}}]


def test_review_suggest_apply_end_to_end(faq: tuple[Path, KnowledgeBase], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    faq_dir, kb = faq
    entry = kb.entries[0]
    db = tmp_path / "q.db"

    async def seed() -> None:
        s = await QueryStore.open(db, SECRET)
        asked = (("测试新问法甲乙怎么办", 4), ("测试新问法甲乙的流程", 2), ("无关的问题", 1))
        for text, n in asked:
            for _ in range(n):
                await s.log_query(rec(text, status="fallback", ts=dt.datetime.now(dt.UTC)))
        await s.close()

    asyncio.run(seed())
    args = ["review", "suggest", "1", entry.id, "--faq-dir", str(faq_dir), "--lang", "en"]
    assert run_cli([*args, "--apply"], db, faq_dir) == 0
    out = capsys.readouterr().out
    assert "+        - 测试新问法甲乙怎么办" in out and "Added 2 phrasing(s)" in out
    assert load_kb(faq_dir).entry(entry.id).questions["zh"][-2:] == (
        "测试新问法甲乙怎么办", "测试新问法甲乙的流程")
    assert run_cli([*args, "--apply"], db, faq_dir) == 1  # nothing left to add
    assert "Nothing to add" in capsys.readouterr().err
