"""Staff reports on the query log, as one namespace for the front ends (`python -m bot
review …`, /stats and /unanswered in Telegram, the store benchmark): what went unanswered,
what was voted unhelpful, what is asked most, counts per day/status/topic/region/language,
and the raw export.

Each report is an async function taking the store and a `Period` and returning plain
dataclasses; `render_*` turn them into terminal tables and `as_json` into JSON. What each
part owns:

- bot.staff.periods: --since/--until into a `Period`;
- bot.staff.clusters: the unanswered report (grouping similar questions) and phrasings;
- bot.staff.reports: feedback, top and stats;
- bot.staff.export: the CSV / JSON-lines export;
- bot.staff.tables: terminal tables, `render_*`, `as_json`.

The SQL lives in bot.store.reports.
"""

from __future__ import annotations

from bot.staff.clusters import (
    DEFAULT_SIMILARITY,
    MAX_PHRASING_CHARS,
    MAX_TEXTS,
    QUESTION_WORDS,
    Group,
    Question,
    UnansweredReport,
    cluster,
    core,
    find_group,
    group_key,
    phrasings,
    unanswered,
)
from bot.staff.export import export
from bot.staff.periods import DEFAULT_DAYS, PeriodError, make_period, parse_when, period_json
from bot.staff.reports import (
    DayCount,
    FeedbackItem,
    StatsReport,
    TopEntry,
    TopReport,
    feedback,
    stats,
    top,
)
from bot.staff.tables import (
    as_json,
    clip,
    render_feedback,
    render_stats,
    render_top,
    render_unanswered,
    table,
    width,
)
from bot.store.records import Period

__all__ = [
    "DEFAULT_DAYS", "DEFAULT_SIMILARITY", "MAX_PHRASING_CHARS", "MAX_TEXTS", "QUESTION_WORDS",
    "DayCount", "FeedbackItem", "Group", "Period", "PeriodError", "Question", "StatsReport",
    "TopEntry", "TopReport", "UnansweredReport", "as_json", "clip", "cluster", "core",
    "export", "feedback", "find_group", "group_key", "make_period", "parse_when",
    "period_json", "phrasings", "render_feedback", "render_stats", "render_top",
    "render_unanswered", "stats", "table", "top", "unanswered", "width",
]
