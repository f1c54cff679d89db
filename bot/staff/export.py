"""The raw (masked) query log of a period as CSV for Excel or as JSON lines."""

from __future__ import annotations

import csv
import json
from typing import IO

from bot.staff.escape import json_safe, visible
from bot.store.querystore import QueryStore
from bot.store.records import Period
from bot.store.reports import EXPORT_COLUMNS

# A resident can type "=HYPERLINK(…)": Excel would run it. A leading ' shows it as text.
_FORMULA_START = frozenset("=+-@\t\r")


async def export(store: QueryStore, period: Period, fmt: str, out: IO[str]) -> int:
    """Write the (masked) log of the period as csv or jsonl to `out` (UTF-8 text, opened with
    newline=""); return the row count.

    CSV is for Excel: it starts with a BOM (without one Excel reads UTF-8 Chinese as
    mojibake), rows end in CRLF, cells that Excel would run as formulas are defused, and
    control and bidi characters in residents' text are visibly escaped. JSON lines escape
    them as \\uXXXX (the same value, inert in a terminal).
    """
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown export format {fmt!r}")
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        out.write("\ufeff")
        writer.writerow(EXPORT_COLUMNS)
    i_sugg = EXPORT_COLUMNS.index("suggestions")
    # Columns a resident (or a random id) can make start with "=", "+", "-" or "@".
    free_text = [EXPORT_COLUMNS.index(c) for c in ("query_id", "text", "normalized")]
    n = 0
    async for rows in store.export_rows(period):
        for row in rows:
            values = list(row)
            sugg = values[i_sugg]
            values[i_sugg] = [] if sugg in (None, "[]") else json.loads(sugg)
            if writer is not None:
                values[i_sugg] = " ".join(values[i_sugg])
                for i in free_text:
                    v = values[i] = visible(values[i]) if values[i] else values[i]
                    if v and v[0] in _FORMULA_START:
                        values[i] = "'" + v
                writer.writerow(values)
            else:
                out.write(json_safe(json.dumps(dict(zip(EXPORT_COLUMNS, values, strict=True)),
                                               ensure_ascii=False)) + "\n")
        n += len(rows)
    return n
