"""Office hours for the human handoff: parse `BOT_HANDOFF_HOURS`, ask "open now?" and
"when do staff next see it?". Pure: no clock, no Telegram; times are passed in.

Format: one or more `DAYS TIMES` groups separated by `;`. DAYS is a day (`Mon`) or a range
(`Mon-Fri`, `Sat-Sun`, wrapping `Fri-Mon` allowed), several joined by `,`; TIMES is one or
more `HH:MM-HH:MM` joined by `,`. Example: `Mon-Fri 09:30-13:30,16:00-19:30; Sat 09:00-12:00`.
An empty spec means "no hours announced" (`always`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"([01]?\d|2[0-4]):([0-5]\d)")


class HoursError(ValueError):
    """The office-hours spec or time zone is malformed; the message says how."""


@dataclass(frozen=True)
class Span:
    """One opening on one weekday, in minutes since midnight, [start, end)."""

    weekday: int  # 0 = Monday
    start: int
    end: int


def _minutes(text: str, spec: str) -> int:
    m = _TIME.fullmatch(text.strip())
    if m is None:
        raise HoursError(f"bad time {text!r} in {spec!r} (use HH:MM)")
    value = int(m[1]) * 60 + int(m[2])
    if value > 24 * 60:
        raise HoursError(f"bad time {text!r} in {spec!r}")
    return value


def _day(text: str, spec: str) -> int:
    key = text.strip().lower()[:3]
    if key not in DAYS or len(text.strip()) < 3:
        raise HoursError(f"bad day {text!r} in {spec!r} (use Mon, Tue, … Sun)")
    return DAYS.index(key)


def _days(text: str, spec: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        a = _day(first, spec)
        b = _day(last, spec) if last else a
        out += [(a + i) % 7 for i in range((b - a) % 7 + 1)]
    return out


@dataclass(frozen=True)
class Schedule:
    """When staff are at work, in `tz`. No spans means no announced hours (always open)."""

    spans: tuple[Span, ...]
    tz: ZoneInfo
    spec: str = ""

    @classmethod
    def parse(cls, spec: str, tz: str = "Asia/Shanghai") -> Schedule:
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise HoursError(f"unknown time zone {tz!r} (e.g. Asia/Shanghai)") from None
        spans: list[Span] = []
        for group in filter(None, (g.strip() for g in spec.split(";"))):
            days, _, times = group.partition(" ")
            if not times.strip():
                raise HoursError(f"{group!r}: expected days then times, e.g. Mon-Fri 09:00-17:00")
            for rng in times.replace(" ", "").split(","):
                start, sep, end = rng.partition("-")
                if not sep:
                    raise HoursError(f"bad time range {rng!r} in {spec!r} (use HH:MM-HH:MM)")
                lo, hi = _minutes(start, spec), _minutes(end, spec)
                if lo >= hi:
                    raise HoursError(f"time range {rng!r} in {spec!r} ends before it starts")
                spans += [Span(d, lo, hi) for d in _days(days, spec)]
        return cls(tuple(sorted(set(spans), key=lambda s: (s.weekday, s.start))), zone,
                   spec.strip())

    @property
    def always(self) -> bool:
        return not self.spans

    def is_open(self, when: dt.datetime) -> bool:
        """Whether `when` (aware) falls in office hours."""
        if self.always:
            return True
        local = when.astimezone(self.tz)
        minute = local.hour * 60 + local.minute
        return any(s.weekday == local.weekday() and s.start <= minute < s.end
                   for s in self.spans)

    def next_open(self, when: dt.datetime) -> dt.datetime:
        """`when` itself if open, else the start of the next opening (aware, in `tz`)."""
        local = when.astimezone(self.tz)
        if self.is_open(local):
            return local
        for days_ahead in range(8):
            day = local.date() + dt.timedelta(days=days_ahead)
            for s in self.spans:
                if s.weekday != day.weekday():
                    continue
                start = dt.datetime.combine(day, dt.time(s.start // 60, s.start % 60),
                                            tzinfo=self.tz)
                if start > local:
                    return start
        raise AssertionError("a non-empty weekly schedule always opens within a week")

    def describe(self, day_names: Sequence[str], joiner: str = ", ") -> str:
        """The hours for people: `Mon–Fri 09:30-13:30, 16:00-19:30` with local day names."""
        by_times: dict[tuple[tuple[int, int], ...], list[int]] = {}
        for wd in range(7):
            times = tuple((s.start, s.end) for s in self.spans if s.weekday == wd)
            if times:
                by_times.setdefault(times, []).append(wd)
        parts = []
        for times, days in by_times.items():
            hours = joiner.join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in times)
            parts.append(f"{_day_runs(days, day_names)} {hours}")
        return "; ".join(parts)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day_runs(days: list[int], names: Sequence[str]) -> str:
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ",".join(names[r[0]] if len(r) == 1 else f"{names[r[0]]}–{names[r[-1]]}"
                    for r in runs)
