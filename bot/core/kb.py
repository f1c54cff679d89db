"""The knowledge base: load and validate the FAQ YAML files into frozen dataclasses.

Pure: no telegram, no aiosqlite. Loading is all-or-nothing: every problem in every file is
collected and raised together as one `FaqError`, so a bad edit never half-loads.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.languages import DEFAULT_LANG, LANGUAGES, MIN_PHRASINGS

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_DATE_RE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")
# Files in faq/ that are not topic files.
SPECIAL_FILES = ("sources.yaml", "synonyms.yaml", "regions.yaml")
# Optional: questions no entry answers, matched only so that they are declined.
OUT_OF_SCOPE_FILE = "out_of_scope.yaml"
# A known out-of-scope topic's id in the index, apart from every entry id.
OUT_OF_SCOPE_PREFIX = "oos:"


@dataclass(frozen=True)
class Problem:
    """One validation problem, located as precisely as the YAML allows."""

    file: str
    message: str
    entry: str | None = None
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        if self.entry:
            where += f" entry '{self.entry}'"
        if self.field:
            where += f" field '{self.field}'"
        return f"{where}: {self.message}"


class FaqError(Exception):
    """The FAQ failed validation; `problems` names file, entry, field and line of each."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Source:
    id: str
    file: str
    title: str
    outlet: str
    author: str
    region: str
    date: str
    date_basis: str = ""
    date_inferred: bool = False


@dataclass(frozen=True)
class Region:
    id: str
    names: Mapping[str, str]  # by language code
    parent: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Place:
    """A place the reports do not cover; `parent` is the covered region it lies in, if any."""

    name: str
    parent: str | None


@dataclass(frozen=True)
class Variant:
    region: str
    source: str
    as_of: str
    answer: Mapping[str, str]


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    file: str
    questions: Mapping[str, tuple[str, ...]]
    keywords: tuple[str, ...]
    variants: tuple[Variant, ...]
    # Where the entry and each phrasing are in `file`, for messages that point an admin at
    # a line (duplicate ids, near-duplicate phrasings); None when unknown.
    line: int | None = field(default=None, compare=False)
    phrasing_lines: Mapping[str, tuple[int | None, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def phrasing_line(self, lang: str, index: int) -> int | None:
        """The line of phrasing `index` in `lang`, else the entry's line."""
        lines = self.phrasing_lines.get(lang, ())
        return (lines[index] if index < len(lines) else None) or self.line

    def question(self, lang: str) -> str:
        """The canonical question (the first phrasing) in `lang`, zh when missing."""
        qs = self.questions.get(lang) or self.questions["zh"]
        return qs[0]

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(v.region for v in self.variants)


@dataclass(frozen=True)
class Topic:
    id: str
    names: Mapping[str, str]  # by language code
    file: str
    # Core topics are offered as buttons when a conversation starts or nothing fits.
    core: bool = False

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names[DEFAULT_LANG]


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    topics: tuple[Topic, ...]
    sources: Mapping[str, Source]
    regions: Mapping[str, Region]
    places: tuple[Place, ...]
    destination_markers: tuple[str, ...]
    synonyms: Mapping[str, tuple[str, ...]]
    fillers: tuple[str, ...]
    directory: str = ""
    by_id: Mapping[str, Entry] = field(default_factory=dict, compare=False, repr=False)
    # Known out-of-scope topics (out_of_scope.yaml): phrasings only, never answered. Ids
    # carry OUT_OF_SCOPE_PREFIX; they are not in `entries` or `by_id`.
    declines: tuple[Entry, ...] = ()
    # Words after a place (在成都住) that make it where a resident stays or is treated, in
    # a question about one of `stay_topics` (异地): see regions.yaml.
    stay_markers: tuple[str, ...] = ()
    stay_topics: tuple[str, ...] = ()
    # How the name of a place ends (县, 旗, 市): a word so ending that the gazetteer lacks
    # (临泽县) is still a place the reports don't cover, unless it is one of `not_places`.
    place_suffixes: tuple[str, ...] = ()
    not_places: tuple[str, ...] = ()

    def entry(self, entry_id: str) -> Entry:
        return self.by_id[entry_id]

    def topic(self, topic_id: str) -> Topic:
        return next(t for t in self.topics if t.id == topic_id)

    @property
    def core_topics(self) -> tuple[Topic, ...]:
        """The topics marked `core: true`, or every topic when none is."""
        return tuple(t for t in self.topics if t.core) or self.topics

    def entries_in(self, topic_id: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.topic == topic_id)

    def region_name(self, region_id: str, lang: str) -> str:
        r = self.regions.get(region_id)
        if r is None:
            return region_id
        return r.names.get(lang) or r.names[DEFAULT_LANG]

    def ancestors(self, region_id: str | None) -> tuple[str, ...]:
        """The region and every covered region containing it, innermost first."""
        out: list[str] = []
        while region_id and region_id not in out:
            out.append(region_id)
            r = self.regions.get(region_id)
            region_id = r.parent if r else None
        return tuple(out)


# --------------------------------------------------------------------------- YAML helpers


# libyaml's loader when the wheel has it: the FAQ parses several times faster.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """A safe loader that remembers the line of every mapping (for error messages)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


class _Lines(list[Any]):
    """A YAML sequence that remembers the line of each item (phrasings point to their line)."""

    lines: tuple[int, ...] = ()


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _Lines:
    items = _Lines(loader.construct_sequence(node, deep=True))
    items.lines = tuple(child.start_mark.line + 1 for child in node.value)
    return items


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    # PyYAML builds a date from an unquoted 2025-02-30 and raises ValueError, which would
    # escape as a bare traceback with no file or line; keep the text instead, so that the
    # field's own check names file, entry, field and line.
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path.name, f"cannot read file: {exc}"))
        return None
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(path.name, f"YAML syntax error: {reason}", line=line))
        return None
    except (ValueError, OverflowError, RecursionError) as exc:
        # A value no constructor can build (nesting too deep, a number out of range):
        # a problem of this file, never a crash of the loader.
        problems.append(Problem(path.name, f"YAML value error: {exc}"))
        return None


def _line(obj: Any) -> int | None:
    return obj.get("__line__") if isinstance(obj, dict) else None


def _text(value: Any) -> str | None:
    """A non-empty stripped string, or None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _names(rec: Mapping[str, Any]) -> dict[str, str]:
    """The names a record gives, by language (zh: …, en: …)."""
    return {lang: t for lang in LANGUAGES if (t := _text(rec.get(lang)))}


def _named(names: Mapping[str, str], fallback: str) -> dict[str, str]:
    """Every language's name, the id standing in for any that is missing (already reported)."""
    return {lang: names.get(lang, fallback) for lang in LANGUAGES}


_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f])[ \t\r\n]+(?=[^\x00-\x7f])")


def _tidy(text: str) -> str:
    """Undo YAML line folding: no spaces between Chinese characters, single spaces elsewhere."""
    return " ".join(_CJK_GAP.sub("", text).split())


# Years a report can date from; also keeps the staleness arithmetic inside dt.date's range.
_MIN_YEAR, _MAX_YEAR = 1901, 2199


def _date(value: Any) -> str | None:
    """YYYY, YYYY-MM or YYYY-MM-DD naming a real calendar day or month, else None."""
    # YAML turns an unquoted 2024-02-27 into a date (and 2024-02-27 10:00 into a datetime,
    # a subclass); accept both spellings, the day only.
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat() if _MIN_YEAR <= value.year <= _MAX_YEAR else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = _text(value)
    if not text or not _DATE_RE.fullmatch(text):
        return None
    parts = [int(p) for p in text.split("-")]
    year, month, day = [*parts, 1, 1][:3]
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        dt.date(year, month, day)  # 2025-02-30, 2025-13-21: no such day or month
    except ValueError:
        return None
    return text


_BAD_DATE = "missing, or not a real date as YYYY, YYYY-MM or YYYY-MM-DD"


def _str_list(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return None
    items = tuple(t for t in (_text(v) for v in value) if t)
    return items if len(items) == len(value) else None


# --------------------------------------------------------------------------- sections


def _load_sources(raw: Any, problems: list[Problem]) -> dict[str, Source]:
    fname = "sources.yaml"
    out: dict[str, Source] = {}
    records = raw.get("sources") if isinstance(raw, dict) else None
    if not isinstance(records, list) or not records:
        problems.append(Problem(fname, "expected a non-empty list under 'sources'"))
        return out
    for rec in records:
        sid = _text(rec.get("id")) if isinstance(rec, dict) else None
        if sid is None:
            problems.append(Problem(fname, "source without an id", line=_line(rec)))
            continue
        values: dict[str, str] = {}
        for key in ("file", "title", "outlet", "author", "region"):
            v = _text(rec.get(key))
            if v is None:
                problems.append(Problem(fname, "missing", sid, key, _line(rec)))
            values[key] = v or ""
        date = _date(rec.get("date"))
        if date is None:
            problems.append(Problem(fname, _BAD_DATE, sid, "date", _line(rec)))
        if sid in out:
            problems.append(Problem(fname, "duplicate source id", sid, "id", _line(rec)))
        out[sid] = Source(
            id=sid,
            date=date or "",
            date_basis=_text(rec.get("date_basis")) or "",
            date_inferred=rec.get("date_inferred") is True,
            **values,
        )
    return out


def _load_regions(raw: Any, problems: list[Problem]) -> tuple[dict[str, Region], list[Place]]:
    fname = "regions.yaml"
    regions: dict[str, Region] = {}
    places: list[Place] = []
    covered = raw.get("covered") if isinstance(raw, dict) else None
    if not isinstance(covered, list) or not covered:
        problems.append(Problem(fname, "expected a non-empty list under 'covered'"))
        return regions, places
    for rec in covered:
        rid = _text(rec.get("id")) if isinstance(rec, dict) else None
        if rid is None:
            problems.append(Problem(fname, "region without an id", line=_line(rec)))
            continue
        names = _names(rec)
        if len(names) < len(LANGUAGES):
            problems.append(Problem(fname, f"needs a name in each of {', '.join(LANGUAGES)}",
                                    rid, "/".join(LANGUAGES), _line(rec)))
        aliases = _str_list(rec.get("aliases", [])) or ()
        regions[rid] = Region(rid, _named(names, rid), _text(rec.get("parent")), aliases)
    for rid, region in regions.items():
        if region.parent and region.parent not in regions:
            problems.append(Problem(fname, f"unknown parent '{region.parent}'", rid, "parent"))
    others = raw.get("elsewhere", {})
    if not isinstance(others, dict):
        problems.append(Problem(fname, "'elsewhere' must map a parent region (or 'none') to names"))
        return regions, places
    for parent, names in others.items():
        if parent == "__line__":
            continue
        parent_id = None if parent in ("none", None) else str(parent)
        if parent_id is not None and parent_id not in regions:
            problems.append(Problem(fname, f"unknown region '{parent_id}'", field="elsewhere"))
        for name in _str_list(names) or ():
            places.append(Place(name, parent_id))
    return regions, places


def _load_synonyms(
    raw: Any, problems: list[Problem]
) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    fname = "synonyms.yaml"
    if not isinstance(raw, dict):
        problems.append(Problem(fname, "expected 'synonyms' and 'fillers' sections"))
        return {}, ()
    syn: dict[str, tuple[str, ...]] = {}
    table = raw.get("synonyms", {})
    if not isinstance(table, dict):
        problems.append(Problem(fname, "'synonyms' must map a canonical term to its variants"))
        table = {}
    for canon, variants in table.items():
        if canon == "__line__":
            continue
        items = _str_list(variants)
        if not _text(canon) or items is None:
            problems.append(Problem(fname, "variants must be a list of words", field=str(canon)))
            continue
        syn[str(canon)] = items
    fillers = _str_list(raw.get("fillers", [])) or ()
    return syn, fillers


def _load_variant(
    rec: Mapping[str, Any], fname: str, eid: str, prefix: str, ctx: _Ctx
) -> Variant | None:
    ok = True
    region = _text(rec.get("region"))
    if region not in ctx.regions:
        ctx.problems.append(
            Problem(fname, f"unknown region {region!r}", eid, prefix + "region", _line(rec))
        )
        ok = False
    source = _text(rec.get("source"))
    if source not in ctx.sources:
        ctx.problems.append(
            Problem(fname, f"unknown source {source!r}", eid, prefix + "source", _line(rec))
        )
        ok = False
    as_of = _date(rec.get("as_of"))
    if as_of is None:
        ctx.problems.append(Problem(fname, _BAD_DATE, eid, prefix + "as_of", _line(rec)))
        ok = False
    answer = rec.get("answer")
    texts: dict[str, str] = {}
    for lang in LANGUAGES:
        t = _text(answer.get(lang)) if isinstance(answer, dict) else None
        if t is None:
            ctx.problems.append(
                Problem(fname, "missing answer text", eid, f"{prefix}answer.{lang}", _line(rec))
            )
            ok = False
        else:
            texts[lang] = _tidy(t)
    if not ok:
        return None
    assert region and source and as_of
    return Variant(region, source, as_of, texts)


@dataclass
class _Ctx:
    sources: Mapping[str, Source]
    regions: Mapping[str, Region]
    problems: list[Problem]


def _load_entry(rec: Any, topic: str, fname: str, ctx: _Ctx) -> Entry | None:
    if not isinstance(rec, dict):
        ctx.problems.append(Problem(fname, "an entry must be a mapping", line=_line(rec)))
        return None
    line = _line(rec)
    eid = _text(rec.get("id"))
    if eid is None or not _ID_RE.match(eid):
        ctx.problems.append(Problem(fname, "missing or malformed id", eid, "id", line))
        return None
    n_problems = len(ctx.problems)
    qs = rec.get("questions")
    questions: dict[str, tuple[str, ...]] = {}
    phrasing_lines: dict[str, tuple[int | None, ...]] = {}
    for lang, minimum in MIN_PHRASINGS.items():
        raw_items = qs.get(lang) if isinstance(qs, dict) else None
        items = _str_list(raw_items)
        if isinstance(raw_items, _Lines):
            phrasing_lines[lang] = raw_items.lines
        if items is None or len(items) < minimum:
            ctx.problems.append(
                Problem(
                    fname,
                    f"needs at least {minimum} {lang} phrasings",
                    eid,
                    f"questions.{lang}",
                    _line(qs) or line,
                )
            )
        else:
            questions[lang] = items
    keywords = _str_list(rec.get("keywords", []))
    if keywords is None:
        ctx.problems.append(Problem(fname, "must be a list of words", eid, "keywords", line))
    variants: list[Variant] = []
    raw_variants = rec.get("variants")
    if raw_variants is None:
        v = _load_variant(rec, fname, eid, "", ctx)
        variants = [v] if v else []
    elif isinstance(raw_variants, list) and raw_variants:
        seen: set[str] = set()
        for i, raw in enumerate(raw_variants):
            if not isinstance(raw, dict):
                ctx.problems.append(
                    Problem(fname, "must be a mapping", eid, f"variants[{i}]", line)
                )
                continue
            v = _load_variant(raw, fname, eid, f"variants[{i}].", ctx)
            if v and v.region in seen:
                ctx.problems.append(
                    Problem(fname, "two variants for one region", eid, f"variants[{i}]", _line(raw))
                )
            if v:
                seen.add(v.region)
                variants.append(v)
    else:
        ctx.problems.append(Problem(fname, "must be a non-empty list", eid, "variants", line))
    if len(ctx.problems) > n_problems:
        return None
    return Entry(eid, topic, fname, questions, keywords or (), tuple(variants), line=line,
                 phrasing_lines=phrasing_lines)


def _load_declines(raw: Any, problems: list[Problem]) -> tuple[Entry, ...]:
    """out_of_scope.yaml: `topics`, each an id and phrasings (zh required, en optional)."""
    fname = OUT_OF_SCOPE_FILE
    items = raw.get("topics") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        problems.append(Problem(fname, "expected a list under 'topics'", field="topics"))
        return ()
    out: list[Entry] = []
    seen: set[str] = set()
    for i, rec in enumerate(items):
        line = _line(rec)
        did = _text(rec.get("id")) if isinstance(rec, dict) else None
        if did is None or not _ID_RE.match(did):
            problems.append(Problem(fname, "missing or malformed id", did, f"topics[{i}].id", line))
            continue
        if did in seen:
            problems.append(Problem(fname, "duplicate id", did, "id", line))
            continue
        seen.add(did)
        qs = rec.get("questions")
        questions: dict[str, tuple[str, ...]] = {}
        phrasing_lines: dict[str, tuple[int | None, ...]] = {}
        for lang in LANGUAGES:
            raw_items = qs.get(lang, []) if isinstance(qs, dict) else None
            if isinstance(raw_items, _Lines):
                phrasing_lines[lang] = raw_items.lines
            phrasings = _str_list(raw_items)
            if phrasings is None:
                problems.append(Problem(fname, "must be a list of questions", did,
                                        f"questions.{lang}", _line(qs) or line))
            elif phrasings:
                questions[lang] = phrasings
        if "zh" not in questions:
            problems.append(Problem(fname, "needs at least 1 zh phrasing", did, "questions.zh",
                                    line))
            continue
        out.append(Entry(OUT_OF_SCOPE_PREFIX + did, "out_of_scope", fname, questions, (), (),
                         line=line, phrasing_lines=phrasing_lines))
    return tuple(out)


def _load_topic_file(path: Path, ctx: _Ctx) -> tuple[Topic | None, list[Entry]]:
    fname = path.name
    raw = _read_yaml(path, ctx.problems)
    if raw is None:
        if not ctx.problems or ctx.problems[-1].file != fname:
            ctx.problems.append(Problem(fname, "file is empty"))
        return None, []
    head = raw.get("topic") if isinstance(raw, dict) else None
    tid = _text(head.get("id")) if isinstance(head, dict) else None
    if tid is None or not isinstance(head, dict):
        ctx.problems.append(Problem(fname, "missing topic header (id, zh, en)", field="topic"))
        return None, []
    if tid != path.stem:
        ctx.problems.append(
            Problem(fname, f"topic id '{tid}' must equal the file name", field="topic.id")
        )
    names = _names(head)
    if len(names) < len(LANGUAGES):
        ctx.problems.append(Problem(fname, f"topic needs a name in each of {', '.join(LANGUAGES)}",
                                    field="topic"))
    topic = Topic(tid, _named(names, tid), fname, core=head.get("core") is True)
    raw_entries = raw.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        ctx.problems.append(
            Problem(fname, "expected a non-empty list under 'entries'", field="entries")
        )
        return topic, []
    entries = [e for e in (_load_entry(r, tid, fname, ctx) for r in raw_entries) if e]
    return topic, entries


def load_kb(directory: str | Path) -> KnowledgeBase:
    """Load and validate every file in `directory`; raise FaqError listing all problems."""
    root = Path(directory)
    problems: list[Problem] = []
    if not root.is_dir():
        raise FaqError([Problem(str(root), "FAQ directory not found")])
    raw_special: dict[str, Any] = {}
    for name in SPECIAL_FILES:
        path = root / name
        if not path.is_file():
            problems.append(Problem(name, "required file is missing"))
            raw_special[name] = None
        else:
            raw_special[name] = _read_yaml(path, problems)
    sources = _load_sources(raw_special["sources.yaml"], problems)
    regions, places = _load_regions(raw_special["regions.yaml"], problems)
    raw_regions = raw_special["regions.yaml"]

    def words_field(name: str) -> tuple[str, ...]:
        """An optional list of words in regions.yaml."""
        if not isinstance(raw_regions, dict):
            return ()
        out = _str_list(raw_regions.get(name, []))
        if out is None:
            problems.append(Problem("regions.yaml", "must be a list of words", field=name))
            return ()
        return out

    markers = words_field("destination_markers")
    stay_markers = words_field("stay_markers")
    stay_topics = words_field("stay_topics")
    place_suffixes = words_field("place_suffixes")
    not_places = words_field("not_places")
    synonyms, fillers = _load_synonyms(raw_special["synonyms.yaml"], problems)
    for s in sources.values():
        if regions and s.region not in regions:
            problems.append(Problem("sources.yaml", f"unknown region '{s.region}'", s.id, "region"))

    ctx = _Ctx(sources, regions, problems)
    topics: list[Topic] = []
    entries: list[Entry] = []
    declines: tuple[Entry, ...] = ()
    if (root / OUT_OF_SCOPE_FILE).is_file():
        raw_oos = _read_yaml(root / OUT_OF_SCOPE_FILE, problems)
        if raw_oos is not None:
            declines = _load_declines(raw_oos, problems)
    topic_files = sorted(
        p for p in root.glob("*.yaml") if p.name not in (*SPECIAL_FILES, OUT_OF_SCOPE_FILE)
    )
    if not topic_files:
        problems.append(Problem(str(root), "no topic files (*.yaml) found"))
    for path in topic_files:
        topic, found = _load_topic_file(path, ctx)
        if topic:
            topics.append(topic)
        entries.extend(found)

    by_id: dict[str, Entry] = {}
    for e in entries:
        if e.id in by_id:
            first = by_id[e.id]
            where = first.file + (f":{first.line}" if first.line else "")
            problems.append(
                Problem(e.file, f"duplicate id (also in {where})", e.id, "id", e.line)
            )
            continue  # keep pointing at the first one
        by_id[e.id] = e
    if problems:
        raise FaqError(problems)
    return KnowledgeBase(
        entries=tuple(entries),
        topics=tuple(topics),
        sources=sources,
        regions=regions,
        places=tuple(places),
        destination_markers=markers,
        stay_markers=stay_markers,
        stay_topics=stay_topics,
        place_suffixes=place_suffixes,
        not_places=not_places,
        synonyms=synonyms,
        fillers=fillers,
        directory=str(root),
        by_id=by_id,
        declines=declines,
    )
