"""Rendering of engine v2 results: a two-answer reply, dates said once."""

from __future__ import annotations

from bot.core.engine import Engine
from bot.core.render import Renderer

TWO_QUESTIONS = "家庭医生怎么签约？另外长护险怎么申请"


def test_two_answers_in_one_reply_plain_and_json(engine: Engine, renderer: Renderer) -> None:
    r = engine.ask(TWO_QUESTIONS)
    assert r.status == "answer" and len(r.also) == 1
    first, second = r, r.also[0]
    assert first.entry_id != second.entry_id
    texts = [renderer.variant_text(x.variants, x.lang) for x in (first, second)]

    plain = renderer.plain(r)
    assert all(t in plain for t in texts)
    assert plain.index(texts[0]) < plain.index(texts[1])

    j = renderer.to_json(r)
    assert j["status"] == "answer"
    assert j["entry_id"] == first.entry_id  # the first answer names the reply
    assert j["answer"] == "\n\n".join(texts)


def test_inferred_date_is_said_once_and_plainly(engine: Engine, renderer: Renderer) -> None:
    r = engine.ask("昌吉长护险怎么申请")
    assert r.status == "answer"
    text = renderer.plain(r)
    for v in r.variants:
        source = engine.kb.sources[v.source]
        if source.date_inferred:
            assert source.date not in text  # not the raw inferred day
            assert text.count(renderer.source_date(source.date, True, "zh")) == 1
