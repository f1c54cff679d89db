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
    # Other entries whose answer answers it as well, for the place asked about (乌海 DRG
    # 以后住院费用降了多少: the DRG entry and the hospital-stay-cost entry give the same
    # figure). Used sparingly, and only where the two answers say the same thing.
    also: tuple[str, ...] = ()

    def accepts(self, entry_id: str | None) -> bool:
        """Whether answering with this entry answers the question."""
        return entry_id is not None and (entry_id == self.expect or entry_id in self.also)


def load_cases(path: Path) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = [
        Case(str(c["q"]), str(c["expect"]), c.get("region"), tuple(c.get("also", ())))
        for c in raw["in_scope"]
    ]
    for item in raw["out_of_scope"]:
        q = item["q"] if isinstance(item, dict) else item
        region = item.get("region") if isinstance(item, dict) else None
        cases.append(Case(str(q), None, region))
    return cases
