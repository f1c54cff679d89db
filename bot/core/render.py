"""Turn an engine `Result` into words: plain text for the terminal, the JSON contract.

Pure. The Telegram front end builds its HTML from the same pieces (`variant_blocks`,
`source_line`, `notes`), so every channel says the same thing.
"""

from __future__ import annotations

import re
from typing import Any

from bot.core.engine import Result, Suggestion
from bot.core.i18n import Locales
from bot.core.kb import KnowledgeBase, Variant

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


class Renderer:
    """Wording of answers, sources and notes, in the user's language."""

    def __init__(self, kb: KnowledgeBase, locales: Locales) -> None:
        self.kb = kb
        self.loc = locales

    def region(self, region_id: str, lang: str) -> str:
        return self.kb.region_name(region_id, lang)

    def covered_regions(self, lang: str) -> str:
        sep = self.loc.t(lang, "list_separator")
        return sep.join(self.region(r, lang) for r in self.kb.regions)

    def variant_text(self, variants: tuple[Variant, ...], lang: str) -> str:
        """The answer text; labelled per region when more than one region is shown."""
        if len(variants) == 1:
            return variants[0].answer[lang]
        return "\n\n".join(
            self.loc.t(lang, "answer.region_label", region=self.region(v.region, lang))
            + v.answer[lang]
            for v in variants
        )

    def _dated_by_source(self, v: Variant) -> bool:
        """Whether the variant's as-of date is its source's date (to the precision it
        gives): then the date is said once, on the as-of line."""
        s = self.kb.sources[v.source]
        return s.date.startswith(v.as_of)

    def as_of_line(self, v: Variant, lang: str) -> str:
        s = self.kb.sources[v.source]
        # An as-of date taken from an inferred source date is only "about" that month.
        inferred = s.date_inferred and self._dated_by_source(v)
        date = self.source_date(v.as_of, inferred, lang)
        return self.loc.t(lang, "answer.as_of", date=date, region=self.region(v.region, lang))

    def source_date(self, date: str, inferred: bool, lang: str) -> str:
        """A printed date as printed; an inferred one once, plainly: 约2023年1月."""
        if not inferred:
            return date
        parts = [int(p) for p in date.split("-")]
        # A day we inferred the year of is still only "about": the month says enough.
        key = "date.approx_month" if len(parts) >= 2 else "date.approx_year"
        return self.loc.t(lang, key, y=parts[0], m=parts[1] if len(parts) >= 2 else 0)

    def source_line(self, v: Variant, lang: str) -> str:
        s = self.kb.sources[v.source]
        # The outlet's own "(inferred)" mark would say twice what the date's "about" says.
        outlet = re.sub(r"[（(]推断[)）]$", "", s.outlet)
        date = self.source_date(s.date, s.date_inferred, lang)
        # An inferred date is said once, on the as-of line above ("约2025年3月"); a printed
        # one stays in the citation, as printed.
        above = "_dated_above" if s.date_inferred and self._dated_by_source(v) else ""
        if lang != "zh" and _CJK.search(s.title + outlet):
            # A title is cited in the language it was printed in; an English answer names
            # the region and date instead of quoting Chinese.
            return self.loc.t(
                lang,
                "answer.source_untitled" + above,
                region=self.region(s.region, lang),
                date=date,
            )
        return self.loc.t(lang, "answer.source" + above, title=s.title, outlet=outlet, date=date)

    def stale_line(self, variants: tuple[Variant, ...], lang: str) -> str:
        several = len({v.source for v in variants}) > 1
        return self.loc.t(lang, "answer.stale_many" if several else "answer.stale")

    def notes(self, r: Result) -> list[str]:
        """Lines shown above an answer: why it is about another region than asked."""
        lang = r.lang
        out: list[str] = []
        if r.other_region and r.preferred_region:
            regions = self.loc.t(lang, "list_separator").join(
                self.region(v.region, lang) for v in r.variants
            )
            out.append(
                self.loc.t(
                    lang,
                    "answer.other_region",
                    preferred=self.region(r.preferred_region, lang),
                    regions=regions,
                )
            )
        elif r.mention is not None and not r.mention.covered and r.variants:
            out.append(
                self.loc.t(
                    lang,
                    "answer.parent_scope",
                    place=r.mention.name,
                    region=self.region(r.variants[0].region, lang),
                )
            )
        elif (
            r.mention is not None
            and r.mention.region
            and r.variants
            and all(v.region not in self.kb.ancestors(r.mention.region) for v in r.variants)
        ):
            # Asked about Xinjiang, answered with what holds in a part of it.
            out.append(
                self.loc.t(
                    lang,
                    "answer.part_scope",
                    place=self.region(r.mention.region, lang),
                    regions=self.loc.t(lang, "list_separator").join(
                        self.region(v.region, lang) for v in r.variants
                    ),
                )
            )
        return out

    def fallback_lines(self, r: Result) -> list[str]:
        lang = r.lang
        if r.reason == "empty":
            return [self.loc.t(lang, "fallback.empty")]
        if r.reason == "region_not_covered" and r.mention is not None:
            # A covered region lacks only this answer; a place outside them lacks all.
            key = "fallback.topic_not_covered_here" if r.mention.covered else (
                "fallback.region_not_covered")
            lines = [
                self.loc.t(
                    lang,
                    key,
                    covered=self.covered_regions(lang),
                    place=self.region(r.mention.region, lang) if r.mention.region
                    else r.mention.name,
                )
            ]
            lines.append(self.loc.t(lang, "fallback.advice"))
            if r.suggestions:
                lines.append(self.loc.t(lang, "fallback.others_have"))
            return lines
        if r.reason == "known_gap":
            return [self.loc.t(lang, "fallback.known_gap"), self.loc.t(lang, "fallback.advice")]
        if r.reason == "broad":
            lines = [self.loc.t(lang, "fallback.broad")]
            if r.suggestions:
                lines.append(self.loc.t(lang, "fallback.broad_examples"))
            return lines
        return [self.loc.t(lang, "fallback.no_match"), self.loc.t(lang, "fallback.advice")]

    def suggestion_question(self, s: Suggestion, lang: str) -> str:
        q = self.kb.entry(s.entry_id).question(lang)
        regions = {v.region for v in s.variants}
        if len(regions) == 1:  # say whose rule it is right on the button
            name = self.region(regions.pop(), lang)
            q += " " + self.loc.t(lang, "answer.region_label", region=name).strip()
        return q

    # ------------------------------------------------------------------ whole results

    def plain(self, r: Result) -> str:
        """A readable, multi-line answer for the terminal."""
        lang = r.lang
        if r.status == "answer":
            lines = [*self.notes(r), self.variant_text(r.variants, lang), ""]
            for v in r.variants:
                lines.append(self.as_of_line(v, lang))
                lines.append(self.source_line(v, lang))
            if r.stale:
                lines.append(self.stale_line(r.variants, lang))
            # A second question in the same message: its answer, complete, below.
            lines.extend(["", *(self.plain(extra) for extra in r.also)] if r.also else [])
            return "\n".join(lines)
        if r.status == "clarify":
            lines = [self.loc.t(lang, "clarify.intro")]
        else:
            lines = self.fallback_lines(r)
        for n, s in enumerate(r.suggestions, 1):
            lines.append(
                self.loc.t(
                    lang, "cli.suggestion_line", n=n, question=self.suggestion_question(s, lang)
                )
            )
        return "\n".join(lines)

    def to_json(self, r: Result) -> dict[str, Any]:
        """The stable JSON contract of `ask --json` (see README)."""
        lang = r.lang
        source = None
        if r.variants:
            s = self.kb.sources[r.variants[0].source]
            source = {
                "id": s.id,
                "title": s.title,
                "outlet": s.outlet,
                "date": s.date,
                "region": s.region,
            }
        return {
            "question": r.question,
            "status": r.status,
            # Why: matched, ambiguous, no_match, empty, region_not_covered, known_gap, broad.
            "reason": r.reason,
            "entry_id": r.entry_id,
            "score": round(float(r.score), 2),
            # Two questions in one message: both answers in one text; entry_id is the first.
            "answer": "\n\n".join(
                self.variant_text(x.variants, lang) for x in (r, *r.also)
            )
            if r.status == "answer"
            else None,
            "lang": lang,
            "region": ",".join(v.region for v in r.variants) if r.variants else None,
            "source": source,
            "suggestions": [
                {
                    "entry_id": s.entry_id,
                    "question": self.kb.entry(s.entry_id).question(lang),
                    "answer": self.variant_text(s.variants, lang),
                    "score": round(float(s.score), 2),
                }
                for s in r.suggestions
            ],
        }
