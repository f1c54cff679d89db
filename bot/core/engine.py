"""The answer engine: question in, `Result` out. Created once, shared by every front end.

Pure: no telegram, no aiosqlite, no I/O after construction. A front end that wants to
reload the FAQ builds a new Engine and swaps the reference; a question in flight keeps
the engine it started with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from pathlib import Path
from typing import Literal

from bot.core.asks import asks, unmet
from bot.core.asks import fit as fit_asks
from bot.core.clauses import split_clauses, views
from bot.core.confidence import Model, features, load_model
from bot.core.decision import Scored, Status, Thresholds, decide
from bot.core.kb import Entry, KnowledgeBase, Variant, load_kb
from bot.core.languages import LANGUAGES, detect_lang, supported
from bot.core.matcher import Evidence, Index
from bot.core.normalize import Normalizer
from bot.core.regions import Mention, RegionFinder, variants_for
from bot.core.words import add_user_words

# An answer from a report older than this carries a caution that the policy may have changed.
STALE_AFTER_DAYS = 2 * 365

Reason = Literal[
    "matched",  # answer: one entry, clearly
    "ambiguous",  # clarify: several entries close together or a middling score
    "no_match",  # fallback: nothing fits
    "empty",  # fallback: no words left after normalization (emoji, punctuation, blank)
    "region_not_covered",  # fallback: it fits an entry, but not for the place asked about
    "known_gap",  # fallback: closest to a known out-of-scope topic (out_of_scope.yaml)
    "broad",  # fallback: a topic named (医保, 异地就医), not a question asked
]


@dataclass(frozen=True)
class Suggestion:
    entry_id: str
    score: float
    variants: tuple[Variant, ...]

    @property
    def region(self) -> str | None:
        """The one region this suggestion is labelled with, if its variants share one: a
        front end passes it to `Engine.answer_entry(region=…)` when the suggestion is
        picked, so that the answer is that region's only."""
        regions = {v.region for v in self.variants}
        return regions.pop() if len(regions) == 1 else None


@dataclass(frozen=True)
class Result:
    question: str
    normalized: str
    lang: str
    status: Status
    reason: Reason
    score: float
    entry_id: str | None = None
    topic: str | None = None
    # The variants shown, innermost region first (several when no region narrows it).
    variants: tuple[Variant, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    # The place the question named, if any, and whether the answer is not specific to the
    # user's preferred region (shown as a note, never silently).
    mention: Mention | None = None
    preferred_region: str | None = None
    other_region: bool = False
    stale: bool = False
    # A second question in the same message, confidently about another entry: its answer
    # (at most one more). The first answer stays this Result's own fields.
    also: tuple[Result, ...] = ()


def as_of_date(as_of: str) -> dt.date:
    """The last day a YYYY / YYYY-MM / YYYY-MM-DD date can mean (so staleness is never early)."""
    parts = [int(p) for p in as_of.split("-")]
    if len(parts) == 3:
        return dt.date(parts[0], parts[1], parts[2])
    if len(parts) == 2:
        nxt = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    return dt.date(parts[0], 12, 31)


def is_stale(as_of: str, today: dt.date) -> bool:
    return (today - as_of_date(as_of)).days > STALE_AFTER_DAYS


@dataclass(frozen=True)
class Analysis:
    normalized: str
    mention: Mention | None
    ranked: list[Scored]  # whole question and its parts merged: best confidence per entry
    clause_tops: list[list[Scored]]  # per single clause, its ranking as if sent alone
    # For a question naming a place: how to rank it as if no place were named (`unplaced`).
    rank_unplaced: Callable[[], list[Scored]] = field(default=list, compare=False, repr=False)
    # The whole question is closest to a known out-of-scope topic, not to any entry.
    known_gap: bool = False
    # The question is a word or two that much of the FAQ uses (Index.is_broad).
    broad: bool = False

    @cached_property
    def unplaced(self) -> list[Scored]:
        """The ranking as if no place were named, which tells "the reports have this, but
        not for X" from "nothing fits". Worked out on first use: only a question that
        would otherwise fall back needs it."""
        return self.rank_unplaced()


# One text of a question matched (the whole or a view): its prepared text, its evidence,
# and the whole question's words when it is scored as part of it (None: on its own).
Matched = tuple[str, list[Evidence], dict[str, float] | None]


def _best_per_entry(rankings: Iterable[list[Scored]]) -> list[Scored]:
    """Several rankings of one question (the whole, its views) merged: each entry at its
    best confidence (the first of equals), best first."""
    best: dict[str, Scored] = {}
    for ranked in rankings:
        for s in ranked:
            if s.entry_id not in best or s.score > best[s.entry_id].score:
                best[s.entry_id] = s
    return sorted(best.values(), key=lambda s: s.score, reverse=True)


def _runner_up(prescore: float, rivals: list[float]) -> float:
    """What a candidate is measured against (rivals best first): the best measures its
    lead over the runner-up, every other its gap to the best."""
    if not rivals:
        return 0.0
    if prescore != rivals[0]:
        return rivals[0]
    return rivals[1] if len(rivals) > 1 else 0.0


class _Prepare:
    """What the index compares: the normalized text without place names. Stripped from
    phrasings and questions alike: where a fact holds is decided by the variants, not by
    whether a phrasing happened to name a city."""

    def __init__(self, normalizer: Normalizer, regions: RegionFinder) -> None:
        self._normalizer = normalizer
        self._regions = regions

    def __call__(self, text: str) -> str:
        return self._regions.strip(self._normalizer(text))

    def many(self, texts: Sequence[str]) -> list[str]:
        return self._regions.strip_many(self._normalizer.many(texts))


_MODEL: Model | None = None


def default_model() -> Model:
    """The shipped confidence model, read once per process (a reload reuses it)."""
    global _MODEL
    if _MODEL is None:
        _MODEL = load_model()
    return _MODEL


class Engine:
    """Knowledge base + normalizer + index + confidence model + thresholds, built once."""

    def __init__(
        self,
        kb: KnowledgeBase,
        thresholds: Thresholds | None = None,
        today: dt.date | None = None,
        model: Model | None = None,
    ) -> None:
        self.kb = kb
        self.model = model or default_model()
        self.thresholds = thresholds or Thresholds.from_mapping(self.model.thresholds)
        self._today = today
        self.normalizer = Normalizer(kb.synonyms, kb.fillers)
        self.regions = RegionFinder(kb, self.normalizer)
        add_user_words(self._vocabulary(kb))
        self.index = Index(kb, _Prepare(self.normalizer, self.regions))

    def _vocabulary(self, kb: KnowledgeBase) -> set[str]:
        """The FAQ's own terms, so the segmenter keeps them whole (门诊慢特病, 直接结算)."""
        raw: list[str] = [w for e in kb.entries for w in e.keywords]
        for canonical, variants in kb.synonyms.items():
            raw.append(canonical)
            raw.extend(variants)
        for region in kb.regions.values():
            raw.extend((*region.names.values(), *region.aliases))
        raw.extend(p.name for p in kb.places)
        out: set[str] = set()
        # Templated FAQs repeat the same keywords in thousands of entries: normalize each
        # once, all in one batch.
        for w in self.normalizer.many(list(set(raw))):
            out.update(w.split())
        return out

    @classmethod
    def from_dir(cls, directory: str | Path, **kwargs: object) -> Engine:
        return cls(load_kb(directory), **kwargs)  # type: ignore[arg-type]

    @property
    def today(self) -> dt.date:
        return self._today or dt.date.today()

    # ------------------------------------------------------------------ scoring

    def _holds(self, entry_id: str, mention: Mention) -> bool:
        """Whether the entry has an answer for the place named."""
        if mention.scope is None:
            # An uncovered place outside every covered region (北京) holds nothing at all.
            return False
        entry = self.kb.entry(entry_id)
        return bool(variants_for(self.kb, entry, mention.scope, parts=mention.covered))

    def _shown_variants(self, entry_id: str, mention: Mention | None) -> list[int]:
        """Positions of the variants an answer would show for the place named (all of
        them when none is)."""
        entry = self.kb.entry(entry_id)
        if mention is None:
            return list(range(len(entry.variants)))
        if mention.scope is None:
            return []
        held = variants_for(self.kb, entry, mention.scope, parts=mention.covered)
        return [k for k, v in enumerate(entry.variants) if any(v is h for h in held)]

    def _score(
        self,
        prepared: str,
        mention: Mention | None,
        evs: list[Evidence],
        contexts: Sequence[dict[str, float] | None] = (None,),
        shown_of: dict[int, list[int]] | None = None,
    ) -> tuple[list[list[Scored]], bool]:
        """Candidates of one text (`evs`, its evidence) with their calibrated confidence,
        best first, once per context; and whether its closest candidate is a known
        out-of-scope topic. A context is None for the text on its own, or for a clause the
        whole question's words (what the clause leaves unexplained): a clause is scored
        both ways, and all the rest is worked out once for both. `shown_of`: the variants
        shown for the place named, by entry, kept across the texts of one question."""
        if not evs:
            return [[] for _ in contexts], False
        n_words = self.index.query_size(prepared)
        covers = [
            None if c is None else self.index.coverages([e.entry for e in evs], c)
            for c in contexts
        ]
        qidf = self.index.query_words(prepared)
        kinds = asks(prepared)
        if shown_of is None:
            shown_of = {}
        # A known out-of-scope topic is every entry's rival and never a candidate itself.
        declines = [self.index.is_decline(ev.entry) for ev in evs]
        shown_all: list[list[int]] = []
        for ev, d in zip(evs, declines, strict=True):
            shown = [] if d else shown_of.get(ev.entry)
            if shown is None:
                shown = shown_of[ev.entry] = self._shown_variants(
                    self.index.entry_ids[ev.entry], mention
                )
            shown_all.append(shown)
        entries = [ev.prescore for ev, d in zip(evs, declines, strict=True) if not d]
        # How close the nearest known out-of-scope topic comes (0 when none is a candidate).
        decline = max((ev.prescore for ev, d in zip(evs, declines, strict=True) if d), default=0.0)
        # The tie rule's rivals (`lead`): every candidate, out-of-scope topics included,
        # except that when a covered place is named an entry with nothing for it is no
        # rival: it is filtered out before the decision (乌海…直接结算 is no tie with
        # Xinjiang's settlement figures). The model's margin still counts every entry: one
        # that wins only because a better match has nothing for the place is not the answer.
        everyone = [ev.prescore for ev in evs]
        holding = [
            ev.prescore
            for ev, shown, d in zip(evs, shown_all, declines, strict=True)
            if shown or d
        ]
        outs: list[list[Scored]] = [[] for _ in contexts]
        for ev, shown, d in zip(evs, shown_all, declines, strict=True):
            if d:
                continue
            entry_id = self.index.entry_ids[ev.entry]
            region = None if mention is None else bool(shown)
            rivals = holding if mention is not None and shown else everyone
            shares = self.index.entry_asks(ev.entry)
            missing = unmet(kinds, shares)
            runner_up = _runner_up(ev.prescore, entries)
            said = self.index.said(ev.entry, shown, qidf)
            fit = fit_asks(kinds, shares)
            lead = ev.prescore - _runner_up(ev.prescore, rivals)
            evidence = (
                round(100.0 * ev.cosine, 2),
                round(100.0 * ev.phrasing, 2),
                round(100.0 * ev.fuzzy, 2),
                round(100.0 * ev.bm25, 2),
                round(100.0 * ev.coverage, 2),
            )
            for out, cover in zip(outs, covers, strict=True):
                x = features(
                    ev,
                    runner_up,
                    region,
                    n_words,
                    clause=cover is not None,
                    whole_coverage=None if cover is None else cover[ev.entry],
                    said=said,
                    decline=decline,
                    asks=fit,
                    unmet=missing,
                )
                score = round(100.0 * self.model(x), 2)
                out.append(Scored(entry_id, score, *evidence, x, lead=lead, unmet=missing > 0))
        for out in outs:
            out.sort(key=lambda s: s.score, reverse=True)
        return outs, declines[0]

    def _merged(self, matched: list[Matched]) -> list[Scored]:
        """The ranking of the whole question and its views as if no place were named, each
        entry at its best, as `Analysis.ranked` is for the place named."""
        return _best_per_entry(
            self._score(prepared, None, evs, (context,))[0][0] for prepared, evs, context in matched
        )

    def analyse(self, question: str) -> Analysis:
        normalized = self.normalizer(question)
        mention = self.regions.find(normalized)
        stripped = self.regions.strip(normalized)
        evs = self.index.evidence(stripped)
        # Each text matched, with its evidence and the context it is scored in.
        matched: list[Matched] = [(stripped, evs, None)]
        shown_of: dict[int, list[int]] = {}  # the variants shown for `mention`, by entry
        [whole], known_gap = self._score(stripped, mention, evs, shown_of=shown_of)
        qwords = self.index.query_words(stripped)
        rankings = [whole]
        clauses = split_clauses(question)
        alone: dict[str, list[Scored]] = {}
        # Each clause and view is prepared once, to choose the views and to match them.
        prepared_of: dict[str, str] = {question: stripped}

        def prepare(text: str) -> str:
            out = prepared_of.get(text)
            if out is None:
                out = prepared_of[text] = self.regions.strip(self.normalizer(text))
            return out

        for view in views(question, prepare):
            prepared = prepare(view)
            evs = self.index.evidence(prepared)
            matched.append((prepared, evs, qwords))
            # A second question must be confident on its own, as if it had been sent
            # alone: in context, a clause is scored as the part of a story that asks.
            contexts = (qwords, None) if view in clauses else (qwords,)
            ranked, *on_its_own = self._score(prepared, mention, evs, contexts, shown_of)[0]
            if on_its_own:
                alone[view] = on_its_own[0]
            rankings.append(ranked)
        merged = _best_per_entry(rankings)
        clause_tops = [alone[c] for c in dict.fromkeys(clauses) if c in alone]
        # Any place named, covered or not: "nothing fits" is told from "it fits, but the
        # reports have it only for other regions" (通辽长护险 is Changji's programme).
        unplaced = partial(self._merged, matched) if mention else list
        broad = self.index.is_broad(stripped)
        return Analysis(normalized, mention, merged, clause_tops, unplaced, known_gap, broad)

    def rank(self, question: str) -> tuple[str, Mention | None, list[Scored]]:
        """Normalized text, the place named and the ranked entries (for eval and review)."""
        a = self.analyse(question)
        return a.normalized, a.mention, a.ranked

    # ------------------------------------------------------------------ answering

    def ask(self, question: str, lang: str | None = None, region: str | None = None) -> Result:
        """Answer one question.

        `lang`: "zh" or "en" fixes the answer's language (the user chose it); None follows
        the language the question is written in. `region` is the user's preferred region id.
        """
        return self.respond(self.analyse(question), question, lang, region, self.thresholds)

    def respond(
        self,
        a: Analysis,
        question: str,
        lang: str | None,
        region: str | None,
        t: Thresholds,
    ) -> Result:
        """The decision on an analysed question; separate so that `eval --fit` can try
        many thresholds on one analysis."""
        # An explicit language wins; otherwise the answer follows the question.
        lang_ = lang if lang in LANGUAGES else detect_lang(question)
        preferred = region if region in self.kb.regions else None
        mention, ranked = a.mention, a.ranked
        # Every outcome shares these fields; each branch fills in the rest.
        base = Result(
            question=question,
            normalized=a.normalized,
            lang=lang_,
            status="fallback",
            reason="empty" if not a.normalized else "no_match",
            score=0.0,
            mention=mention,
            preferred_region=preferred,
        )
        if a.known_gap:
            base = replace(base, reason="known_gap")
        if a.broad:
            # 医保 or 异地就医 alone: not a question the reports fail to answer, but one not
            # asked yet. Should nothing fit, ask for more, with the closest entries as
            # examples to start from (every other outcome sets its own reason and
            # suggestions).
            examples = [s for s in ranked if s.score > 0][: t.max_suggestions]
            scope = mention.scope if mention else preferred
            base = replace(base, reason="broad",
                           suggestions=tuple(self._suggestion(s, scope) for s in examples))
        if not ranked:
            return base
        top = ranked[0].score
        overall = decide(ranked, t)
        asked = self._clause_answers(a, mention, t)
        if overall.status != "answer" and len(asked) > 1:
            # Two questions in one message, each clear on its own, though the whole is a
            # blur of both (家庭医生怎么签约？另外长护险怎么申请): answer both, in order.
            scope_, parts = (mention.scope, mention.covered) if mention else (None, True)
            first = self._answer(base, asked[0], scope_, preferred, parts)
            extra = self._answer(base, asked[1], scope_, preferred, parts)
            return replace(first, also=(extra,))
        if overall.status == "fallback":
            elsewhere = decide(a.unplaced, t) if a.unplaced else overall
            if elsewhere.status == "fallback":
                return replace(base, score=top)
            if mention is not None and mention.covered and (
                elsewhere.status != "answer"
                or elsewhere.best is None
                or self._holds(elsewhere.best.entry_id, mention)
            ):
                # A covered region: "only for other regions" needs a clear entry that lacks
                # this region; a middling one, or one that has it, is no such evidence
                # (乌海这边跨省看病还用备案不 has a Wuhai answer, just not a confident match).
                return replace(base, score=top)
            # It fits, but not for the place asked about: say so, and offer what holds
            # elsewhere, labelled with its region, never as the place's own answer.
            candidates = elsewhere.suggestions or ((elsewhere.best,) if elsewhere.best else ())
            return replace(base, reason="region_not_covered", score=a.unplaced[0].score,
                           suggestions=tuple(self._suggestion(s, None) for s in candidates))

        scope = mention.scope if mention else None
        if mention is not None:
            # The best entry that has an answer for the place named; "no information for
            # X" only when no acceptable candidate has one.
            holding = [s for s in ranked if self._holds(s.entry_id, mention)]
            if not holding or holding[0].score < t.clarify:
                candidates = overall.suggestions or ((overall.best,) if overall.best else ())
                offered = tuple(self._suggestion(s, None) for s in candidates)
                return replace(base, reason="region_not_covered", score=top, suggestions=offered)
            ranked = holding
        decision = decide(ranked, t)
        include_parts = mention.covered if mention else True

        if decision.status == "answer" and decision.best is not None:
            first = self._answer(base, decision.best, scope, preferred, include_parts)
            second = self._second_answer(a, decision.best.entry_id, mention, t)
            if second is not None:
                extra = self._answer(base, second, scope, preferred, include_parts)
                first = replace(first, also=(extra,))
            return first
        if a.known_gap:
            # Closer to a question the reports don't answer than to any entry: offering the
            # neighbouring entry ("did you mean…?") would only suggest it answers this.
            return replace(base, score=ranked[0].score)
        suggestions = tuple(self._suggestion(s, scope or preferred) for s in decision.suggestions)
        return replace(
            base,
            status="clarify",
            reason="ambiguous",
            score=ranked[0].score,
            suggestions=suggestions,
        )

    def _answer(
        self,
        base: Result,
        best: Scored,
        scope: str | None,
        preferred: str | None,
        include_parts: bool,
    ) -> Result:
        entry = self.kb.entry(best.entry_id)
        shown, other = self._pick_variants(entry, scope, preferred, include_parts)
        return replace(
            base,
            status="answer",
            reason="matched",
            suggestions=(),
            score=best.score,
            entry_id=entry.id,
            topic=entry.topic,
            variants=shown,
            other_region=other,
            stale=any(is_stale(v.as_of, self.today) for v in shown),
        )

    def _clause_answers(
        self, a: Analysis, mention: Mention | None, t: Thresholds
    ) -> list[Scored]:
        """What each clause, sent alone, would be answered with: distinct entries, in the
        order the clauses were written."""
        out: list[Scored] = []
        for ranked in a.clause_tops:
            if mention is not None:
                ranked = [s for s in ranked if self._holds(s.entry_id, mention)]
            d = decide(ranked, t)
            best = d.best
            if d.status == "answer" and best and all(s.entry_id != best.entry_id for s in out):
                out.append(best)
        return out

    def _second_answer(
        self, a: Analysis, first: str, mention: Mention | None, t: Thresholds
    ) -> Scored | None:
        """A clause that confidently asks another entry than the first answer's."""
        others = [s for s in self._clause_answers(a, mention, t) if s.entry_id != first]
        return max(others, key=lambda s: s.score) if others else None

    def answer_entry(self, entry_id: str, lang: str = "zh", region: str | None = None) -> Result:
        """The answer to one entry, as when a user taps a suggestion or browses topics.

        `region`: the user's preferred region, or the region a picked suggestion was
        labelled with (`Suggestion.region`). When the entry has an answer for it, only
        that answer is shown; otherwise every region's, flagged as not the user's."""
        entry = self.kb.entry(entry_id)
        lang_ = supported(lang)
        preferred = region if region in self.kb.regions else None
        shown, other = self._pick_variants(entry, None, preferred)
        return Result(
            question=entry.question(lang_),
            normalized=self.normalizer(entry.question(lang_)),
            lang=lang_,
            status="answer",
            reason="matched",
            score=100.0,
            entry_id=entry.id,
            topic=entry.topic,
            variants=shown,
            preferred_region=preferred,
            other_region=other,
            stale=any(is_stale(v.as_of, self.today) for v in shown),
        )

    def related(self, entry_id: str, limit: int = 3) -> tuple[Entry, ...]:
        """Entries a reader of `entry_id` may want next: the closest ones in its topic."""
        entry = self.kb.entry(entry_id)
        text = self.index.normalizer(" ".join(entry.questions["zh"]))
        ranked = self.index.evidence(text)
        out = [
            self.kb.entry(self.index.entry_ids[e.entry])
            for e in ranked
            if not self.index.is_decline(e.entry)
        ]
        out = [e for e in out if e.id != entry_id]
        same_topic = [e for e in out if e.topic == entry.topic]
        return tuple((same_topic + [e for e in out if e.topic != entry.topic])[:limit])

    def _pick_variants(
        self, entry: Entry, scope: str | None, preferred: str | None, parts: bool = True
    ) -> tuple[tuple[Variant, ...], bool]:
        if scope is not None:
            return variants_for(self.kb, entry, scope, parts=parts), False
        if preferred is not None:
            held = variants_for(self.kb, entry, preferred)
            if held:
                return held, False
            # Nothing for the user's region: show what the reports have, flagged as such.
            return entry.variants, True
        return entry.variants, False

    def _suggestion(self, s: Scored, region: str | None) -> Suggestion:
        entry = self.kb.entry(s.entry_id)
        held = variants_for(self.kb, entry, region) if region else ()
        return Suggestion(entry.id, s.score, held or entry.variants)
