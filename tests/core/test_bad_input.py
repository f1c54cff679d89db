"""Bad input gets a clear answer and never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.engine import Engine
from bot.core.normalize import MAX_MATCH_CHARS
from bot.core.render import Renderer


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text_gets_a_result(engine: Engine, renderer: Renderer, text: str) -> None:
    r = engine.ask(text)
    assert r.status in ("answer", "clarify", "fallback")
    assert renderer.plain(r)
    assert renderer.to_json(r)["question"] == text


def test_huge_message_matches_on_a_bounded_prefix(engine: Engine) -> None:
    head = "长期护理保险每个月最多能给多少钱"
    r = engine.ask(head + "啊" * 100_000)
    assert r.status in ("answer", "clarify")
    assert len(r.normalized) <= MAX_MATCH_CHARS


def test_control_characters_and_mixed_scripts(engine: Engine) -> None:
    for text in (
        "\u202e\u200b长护险\u0000\u0007",
        "长護险 LTC insurance 長期",
        "ДОБРЫЙ день 医保",
        "'; DROP TABLE queries; --",
        "<b>长护险</b>",
    ):
        assert engine.ask(text).status in ("answer", "clarify", "fallback")


def test_sql_looking_text_is_just_text(engine: Engine) -> None:
    assert engine.ask("SELECT * FROM entries WHERE 1=1; --").status == "fallback"
