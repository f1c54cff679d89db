"""Labelled question sets (tests/data/*.yaml): what `eval` measures and `eval --fit` learns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Case:
    question: str
    expect: str | None  # None: out of scope, must not be answered
    region: str | None = None



def load_cases(path: Path) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = [Case(str(c["q"]), str(c["expect"]), c.get("region")) for c in raw["in_scope"]]
    for item in raw["out_of_scope"]:
        q = item["q"] if isinstance(item, dict) else item
        region = item.get("region") if isinstance(item, dict) else None
        cases.append(Case(str(q), None, region))
    return cases
