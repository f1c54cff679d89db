"""Office hours (bot.core.office_hours): parsing, open now?, next opening, description."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.core.office_hours import HoursError, Schedule, Span

SH = ZoneInfo("Asia/Shanghai")
SPEC = "Mon-Fri 09:30-13:30,16:00-19:30"
EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def at(day: int, hh: int, mm: int = 0) -> dt.datetime:
    """2024-07-01 is a Monday; `day` 0..6 from there, local Shanghai time."""
    return dt.datetime(2024, 7, 1 + day, hh, mm, tzinfo=SH)


def test_parse_the_documented_example() -> None:
    s = Schedule.parse(SPEC)
    assert len(s.spans) == 10
    assert Span(0, 9 * 60 + 30, 13 * 60 + 30) in s.spans
    assert Span(4, 16 * 60, 19 * 60 + 30) in s.spans
    assert not s.always


@pytest.mark.parametrize(("when", "is_open"), [
    (at(0, 9, 30), True), (at(0, 9, 29), False), (at(0, 13, 30), False),
    (at(2, 17), True), (at(4, 19, 29), True), (at(5, 10), False), (at(6, 17), False),
])
def test_is_open(when: dt.datetime, is_open: bool) -> None:
    assert Schedule.parse(SPEC).is_open(when) is is_open


def test_is_open_converts_from_utc() -> None:
    s = Schedule.parse(SPEC)
    assert s.is_open(dt.datetime(2024, 7, 1, 2, 0, tzinfo=dt.UTC))  # 10:00 in Shanghai
    assert not s.is_open(dt.datetime(2024, 7, 1, 0, 0, tzinfo=dt.UTC))  # 08:00


def test_next_open() -> None:
    s = Schedule.parse(SPEC)
    assert s.next_open(at(0, 10)) == at(0, 10)  # open now
    assert s.next_open(at(0, 14)) == at(0, 16)  # lunch break
    assert s.next_open(at(0, 8)) == at(0, 9, 30)
    assert s.next_open(at(4, 20)) == at(7, 9, 30)  # Friday evening -> Monday
    assert s.next_open(at(5, 12)) == at(7, 9, 30)  # Saturday


def test_several_groups_and_wrapping_ranges() -> None:
    s = Schedule.parse("Fri-Mon 10:00-12:00; Wed 08:00-09:00")
    assert {sp.weekday for sp in s.spans} == {4, 5, 6, 0, 2}
    assert s.next_open(at(0, 13)) == at(2, 8)


def test_empty_spec_is_always_open() -> None:
    s = Schedule.parse("")
    assert s.always and s.is_open(at(6, 3)) and s.next_open(at(6, 3)) == at(6, 3)


def test_describe_with_local_day_names() -> None:
    s = Schedule.parse(SPEC + "; Sat 09:00-12:00")
    assert s.describe(EN_DAYS) == "Mon–Fri 09:30-13:30, 16:00-19:30; Sat 09:00-12:00"
    zh = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
    assert s.describe(zh, "、").startswith("周一–周五 09:30-13:30、16:00-19:30")


@pytest.mark.parametrize("spec", ["Mon-Fri", "Funday 09:00-10:00", "Mon 9-10", "Mon 10:00-09:00",
                                  "Mon 25:00-26:00", "Mon 09:00"])
def test_malformed_specs_are_refused(spec: str) -> None:
    with pytest.raises(HoursError):
        Schedule.parse(spec)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(HoursError, match="time zone"):
        Schedule.parse(SPEC, "Mars/Olympus")


def test_settings_read_the_handoff_variables() -> None:
    from bot.settings import Settings, SettingsError

    s = Settings.from_env({"BOT_HANDOFF_CHAT_ID": "-1001234", "BOT_HANDOFF_HOURS": SPEC,
                           "BOT_HANDOFF_IDLE_HOURS": "24"})
    assert (s.handoff_chat_id, s.handoff_thread_id, s.handoff_tz) == (-1001234, None,
                                                                      "Asia/Shanghai")
    assert s.handoff_hours == SPEC and s.handoff_idle_hours == 24.0
    assert Settings.from_env({}).handoff_chat_id is None  # off by default
    with pytest.raises(SettingsError, match="BOT_HANDOFF_CHAT_ID"):
        Settings.from_env({"BOT_HANDOFF_CHAT_ID": "staff"})
    with pytest.raises(SettingsError, match="BOT_HANDOFF_IDLE_HOURS"):
        Settings.from_env({"BOT_HANDOFF_IDLE_HOURS": "0"})
