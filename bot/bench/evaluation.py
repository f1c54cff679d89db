"""`python -m bot eval`: accuracy of the engine on a labelled set of resident questions.

The set (tests/data/eval.yaml) has in-scope questions labelled with the entry that answers
them, and out-of-scope questions that must not be answered. Pure apart from reading it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.bench.cases import Case, load_cases
from bot.core.engine import Engine
from bot.core.kb import load_kb
from bot.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "data"
DEFAULT_SET = DATA / "eval.yaml"
# The sets `eval --fit` may learn from; every other set is only ever measured.
FIT_SETS = (
    DEFAULT_SET,
    DATA / "resident_fit.yaml",
    DATA / "public_fit.yaml",
    DATA / "public_fit2.yaml",
    DATA / "resident_fit2.yaml",
    DATA / "public_fit3.yaml",
)
# Never used for fitting or thresholds: estimates of what unseen wording gets.
HELD_OUT_SETS = (
    DATA / "holdout.yaml",
    DATA / "resident_holdout.yaml",
    DATA / "public_holdout.yaml",
    DATA / "fresh_holdout.yaml",
)
MODEL_PATH = PROJECT_ROOT / "bot" / "core" / "confidence.json"


@dataclass(frozen=True)
class Outcome:
    case: Case
    status: str
    entry_id: str | None
    top: str | None  # best-ranked entry, whatever the status
    suggested: tuple[str, ...]
    topic: str | None

    @property
    def answered_right(self) -> bool:
        return self.status == "answer" and self.case.accepts(self.entry_id)

    @property
    def answered_wrong(self) -> bool:
        return self.status == "answer" and not self.case.accepts(self.entry_id)

    @property
    def helpful(self) -> bool:
        return self.answered_right or (
            self.status == "clarify" and any(map(self.case.accepts, self.suggested))
        )


@dataclass(frozen=True)
class Report:
    n_in: int
    n_out: int
    top1: float  # best-ranked entry is the expected one
    answered_right: float  # answered outright with the expected entry
    helpful: float
    wrong_answer: float  # in-scope questions answered with a wrong entry
    answered: float  # share of in-scope questions answered outright
    oos_rejected: float
    per_topic: dict[str, dict[str, float]]
    misroutes: list[Outcome]

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["misroutes"] = [
            {
                "question": o.case.question,
                "expect": o.case.expect,
                "status": o.status,
                "got": o.entry_id or o.top,
            }
            for o in self.misroutes
        ]
        return d


def run_case(engine: Engine, case: Case) -> Outcome:
    r = engine.ask(case.question, region=case.region)
    _, _, ranked = engine.rank(case.question)
    return Outcome(
        case=case,
        status=r.status,
        entry_id=r.entry_id,
        top=ranked[0].entry_id if ranked else None,
        suggested=tuple(s.entry_id for s in r.suggestions),
        topic=engine.kb.by_id[case.expect].topic
        if case.expect is not None and case.expect in engine.kb.by_id
        else None,
    )


def _share(n: int, d: int) -> float:
    return round(n / d, 4) if d else 0.0


def evaluate(engine: Engine, cases: Sequence[Case]) -> Report:
    outcomes = [run_case(engine, c) for c in cases]
    ins = [o for o in outcomes if o.case.expect is not None]
    outs = [o for o in outcomes if o.case.expect is None]
    by_topic: dict[str, list[Outcome]] = defaultdict(list)
    for o in ins:
        by_topic[o.topic or "?"].append(o)
    per_topic = {
        t: {
            "n": len(os_),
            "top1": _share(sum(o.case.accepts(o.top) for o in os_), len(os_)),
            "answered_right": _share(sum(o.answered_right for o in os_), len(os_)),
            "helpful": _share(sum(o.helpful for o in os_), len(os_)),
            "wrong": _share(sum(o.answered_wrong for o in os_), len(os_)),
        }
        for t, os_ in sorted(by_topic.items())
    }
    misroutes = [o for o in ins if not o.answered_right] + [o for o in outs if o.status == "answer"]
    return Report(
        n_in=len(ins),
        n_out=len(outs),
        top1=_share(sum(o.case.accepts(o.top) for o in ins), len(ins)),
        answered_right=_share(sum(o.answered_right for o in ins), len(ins)),
        helpful=_share(sum(o.helpful for o in ins), len(ins)),
        wrong_answer=_share(sum(o.answered_wrong for o in ins), len(ins)),
        answered=_share(sum(o.status == "answer" for o in ins), len(ins)),
        oos_rejected=_share(sum(o.status != "answer" for o in outs), len(outs)),
        per_topic=per_topic,
        misroutes=misroutes,
    )


def format_report(rep: Report) -> str:
    lines = [
        f"questions: {rep.n_in} in scope, {rep.n_out} out of scope",
        f"top-1 accuracy (best-ranked entry correct) {rep.top1:.3f}",
        f"answered correctly                         {rep.answered_right:.3f}",
        f"helpful (answer, or right suggestion)      {rep.helpful:.3f}",
        f"wrong-answer rate                          {rep.wrong_answer:.3f}",
        f"answered outright                          {rep.answered:.3f}",
        f"out-of-scope rejected                      {rep.oos_rejected:.3f}",
        "",
        f"{'topic':<22}{'n':>4}{'top1':>7}{'right':>7}{'helpful':>9}{'wrong':>7}",
    ]
    for t, f in rep.per_topic.items():
        lines.append(
            f"{t:<22}{f['n']:>4.0f}{f['top1']:>7.2f}{f['answered_right']:>7.2f}"
            f"{f['helpful']:>9.2f}{f['wrong']:>7.2f}"
        )
    lines += ["", f"misroutes ({len(rep.misroutes)}):"]
    for o in rep.misroutes:
        got = o.entry_id or (f"[{','.join(o.suggested)}]" if o.suggested else "-")
        lines.append(
            f"  {o.status:<8} expect={o.case.expect or 'OUT-OF-SCOPE'} got={got} "
            f"top={o.top}  {o.case.question}"
        )
    return "\n".join(lines)


def sweep(engine: Engine, cases: Sequence[Case]) -> str:
    """Answer threshold against share answered, wrong answers and helpfulness."""
    base = engine.thresholds
    lines = [f"{'answer>=':>9}{'answered':>10}{'right':>8}{'wrong':>8}{'helpful':>9}{'oos_rej':>9}"]
    step = 5
    for th in range(20, 100, step):
        engine.thresholds = dataclasses.replace(
            base, answer=float(th), clarify=min(base.clarify, float(th))
        )
        rep = evaluate(engine, cases)
        mark = "  <- current" if th <= base.answer < th + step else ""
        lines.append(
            f"{th:>9}{rep.answered:>10.3f}{rep.answered_right:>8.3f}"
            f"{rep.wrong_answer:>8.3f}{rep.helpful:>9.3f}{rep.oos_rejected:>9.3f}{mark}"
        )
    engine.thresholds = base
    return "\n".join(lines)


def summary_line(name: str, rep: Report) -> str:
    return (
        f"{name:<24}{rep.n_in:>5}{rep.n_out:>5}{rep.top1:>7.3f}{rep.answered_right:>8.3f}"
        f"{rep.helpful:>9.3f}{rep.wrong_answer:>7.3f}{rep.oos_rejected:>9.3f}"
    )


def report_all(engine: Engine, paths: Sequence[Path]) -> str:
    """One line per set: the figures side by side."""
    lines = [
        "(fit) = used by `eval --fit`; every other set is only measured",
        f"{'set':<24}{'in':>5}{'out':>5}{'top1':>7}{'right':>8}{'helpful':>9}{'wrong':>7}"
        f"{'oos_rej':>9}",
    ]
    for path in paths:
        if not path.exists():
            continue
        name = path.name + (" (fit)" if path in FIT_SETS else "")
        lines.append(summary_line(name, evaluate(engine, load_cases(path))))
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    engine = Engine(load_kb(args.faq_dir))
    if args.fit:
        from bot.bench.fit import fit

        # Only the fitting sets, whatever --set says: thresholds never see a held-out set.
        paths = [p for p in FIT_SETS if p.exists()]
        cases = [c for p in paths for c in load_cases(p)]
        print(fit(engine, cases, MODEL_PATH, [str(p.relative_to(PROJECT_ROOT)) for p in paths]))
        print()
        print(report_all(engine, [*FIT_SETS, *HELD_OUT_SETS]))
        return 0
    if args.all:
        print(report_all(engine, [*FIT_SETS, *HELD_OUT_SETS]))
        return 0
    cases = load_cases(args.eval_file or DEFAULT_SET)
    if args.sweep:
        print(sweep(engine, cases))
        return 0
    rep = evaluate(engine, cases)
    print(
        json.dumps(rep.as_dict(), ensure_ascii=False, indent=1) if args.json else format_report(rep)
    )
    return 0
