"""Accuracy floors on the labelled dev set: a regression in matching fails here.

The floors sit a little under what the engine reaches (see `python -m bot eval`), so that
a change that makes answers worse fails, while re-wording an entry does not.
"""

from __future__ import annotations

import pytest

from bot.bench.evaluation import DEFAULT_SET, Report, evaluate, load_cases
from bot.core.engine import Engine
from tests.helpers import ROOT

# Written independently, from the answers and reports only, and never used to tune the
# matcher: it estimates what residents' unseen wording gets.
HOLDOUT_SET = ROOT / "tests" / "data" / "holdout.yaml"


@pytest.fixture(scope="module")
def report(engine: Engine) -> Report:
    return evaluate(engine, load_cases(DEFAULT_SET))


def test_dev_set_is_large_enough(report: Report) -> None:
    assert report.n_in >= 150 and report.n_out >= 40


def test_labels_name_real_entries(engine: Engine) -> None:
    unknown = [
        c.expect for c in load_cases(DEFAULT_SET) if c.expect and c.expect not in engine.kb.by_id
    ]
    assert not unknown


def test_top1_floor(report: Report) -> None:
    assert report.top1 >= 0.96


def test_wrong_answers_ceiling(report: Report) -> None:
    assert report.wrong_answer <= 0.01


def test_out_of_scope_rejected_floor(report: Report) -> None:
    assert report.oos_rejected >= 0.97


def test_helpful_and_answered_floors(report: Report) -> None:
    assert report.helpful >= 0.96
    assert report.answered_right >= 0.91


def test_every_topic_is_mostly_routed(report: Report) -> None:
    for topic, figures in report.per_topic.items():
        assert figures["top1"] >= 0.80, topic


@pytest.fixture(scope="module")
def holdout(engine: Engine) -> Report:
    return evaluate(engine, load_cases(HOLDOUT_SET))


def test_holdout_meets_the_targets(holdout: Report) -> None:
    assert holdout.n_in >= 100 and holdout.n_out >= 40
    assert holdout.top1 >= 0.95
    assert holdout.answered_right >= 0.87
    assert holdout.helpful >= 0.93
    assert holdout.wrong_answer <= 0.02
    assert holdout.oos_rejected >= 0.97
