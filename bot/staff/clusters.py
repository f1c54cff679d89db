"""The unanswered report: fallback and unresolved clarify questions grouped by similarity
(leader clustering on what a question is about), and the phrasings a group can add to the
FAQ (`review suggest`)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

# The grouping's default, re-exported beside the grouping.
from bot.staff.defaults import DEFAULT_SIMILARITY as DEFAULT_SIMILARITY
from bot.store.privacy import MASKS
from bot.store.querystore import QueryStore
from bot.store.records import Period
from bot.store.reports import UnansweredText

# Distinct unanswered texts considered for grouping, most frequent first. Leader clustering
# is O(texts x groups); this bounds a report to well under a second at any log size.
MAX_TEXTS = 3000
# Words that make a question a question but say nothing about its subject; dropped before
# comparing, so "生育津贴怎么领" and "生育津贴咋领" group together, "医保卡丢了怎么办" and
# "社保卡密码忘了怎么办" do not. Longest first (the regex takes the first that fits).
QUESTION_WORDS = (
    "怎么办", "怎么样", "怎么", "怎样", "如何", "咋办", "咋", "能不能", "可不可以", "可以吗",
    "是不是", "有没有", "什么", "啥", "哪里", "哪儿", "在哪", "多少", "请问", "一下", "我想",
    "我要", "我的", "我们", "我", "你们", "吗", "呢", "吧", "啊", "么", "了", "的",
    "how", "what", "where", "when", "which", "who", "why", "can", "could", "do", "does", "is",
    "are", "i", "my", "me", "the", "a", "an", "to", "please",
)
_CJK_WORDS = sorted((w for w in QUESTION_WORDS if not w.isascii()), key=len, reverse=True)
_CJK_RE = re.compile("|".join(map(re.escape, _CJK_WORDS)))
_LATIN_WORDS = frozenset(w for w in QUESTION_WORDS if w.isascii())
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Phrasings proposed to staff: plain questions, not pasted documents.
MAX_PHRASING_CHARS = 60


@dataclass(frozen=True)
class Question:
    text: str  # an example of the stored (masked) text
    count: int
    lang: str
    normalized: str


@dataclass(frozen=True)
class Group:
    """Similar unanswered questions: one line of the staff's to-do list."""

    key: str  # stable id (hash of the group's leading question), for `review suggest`
    count: int
    first_seen: str
    last_seen: str
    questions: tuple[Question, ...]  # distinct texts, most frequent first
    offered: tuple[str, ...]  # entries the engine offered most often (clarify), if any

    @property
    def examples(self) -> tuple[str, ...]:
        return tuple(q.text for q in self.questions)


@dataclass(frozen=True)
class UnansweredReport:
    period: Period
    groups: tuple[Group, ...]
    total: int  # unanswered questions in the period
    distinct: int  # distinct normalized texts among them
    considered: int  # distinct texts that were grouped (the most frequent MAX_TEXTS)


def core(normalized: str) -> str:
    """What a question is about: its normalized text without question words."""
    text = _CJK_RE.sub(" ", normalized)
    words = [w for w in text.split() if w not in _LATIN_WORDS]
    return " ".join(words) or normalized


def group_key(normalized: str) -> str:
    return hashlib.sha1(normalized.encode("utf-8")).hexdigest()[:6]


def cluster(texts: Sequence[UnansweredText], *, similarity: float = DEFAULT_SIMILARITY,
            normalizer: Callable[[str], str] | None = None) -> list[Group]:
    """Leader clustering, most frequent first: each text joins the most similar group
    leader at or above `similarity`, or leads a new group. Pure."""
    # Re-normalizing with today's engine merges texts that newer synonyms make equal.
    merged: dict[str, list[UnansweredText]] = {}
    for t in texts:
        key = normalizer(t.example) if normalizer else t.normalized
        merged.setdefault(key or t.normalized, []).append(t)
    items = sorted(merged.items(), key=lambda kv: -sum(t.count for t in kv[1]))
    leaders: list[str] = []
    members: list[list[tuple[str, list[UnansweredText]]]] = []
    for norm, ts in items:
        c = core(norm)
        hit = process.extractOne(c, leaders, scorer=fuzz.token_sort_ratio,
                                 score_cutoff=similarity) if leaders else None
        if hit is None:
            leaders.append(c)
            members.append([(norm, ts)])
        else:
            members[hit[2]].append((norm, ts))
    groups = []
    for group in members:
        all_texts = [t for _, ts in group for t in ts]
        offered: Counter[str] = Counter()
        for t in all_texts:
            for eid in t.offered[:1]:
                offered[eid] += t.count
        questions = tuple(
            Question(max(ts, key=lambda t: t.count).example, sum(t.count for t in ts),
                     max(ts, key=lambda t: t.count).lang, norm)
            for norm, ts in group
        )
        questions = tuple(sorted(questions, key=lambda q: -q.count))
        groups.append(Group(
            key=group_key(group[0][0]),
            count=sum(t.count for t in all_texts),
            first_seen=min(t.first_seen for t in all_texts),
            last_seen=max(t.last_seen for t in all_texts),
            questions=questions,
            offered=tuple(e for e, _ in offered.most_common(3)),
        ))
    groups.sort(key=lambda g: (-g.count, g.key))
    return groups


async def unanswered(store: QueryStore, period: Period, *, limit: int = 20,
                     similarity: float = DEFAULT_SIMILARITY, max_texts: int = MAX_TEXTS,
                     normalizer: Callable[[str], str] | None = None) -> UnansweredReport:
    """Fallback and unresolved clarify questions, grouped by similarity, most frequent first."""
    texts, distinct, total = await store.unanswered_texts(period, max_texts)
    groups = cluster(texts, similarity=similarity, normalizer=normalizer)
    return UnansweredReport(period, tuple(groups[:limit] if limit else groups), total, distinct,
                            len(texts))


def find_group(report: UnansweredReport, ref: str) -> Group | None:
    """A group by its key (e.g. 3fa9c2) or its rank in the report (1, 2, …)."""
    ref = ref.strip().lstrip("#")
    if ref.isdigit() and len(ref) <= 4:
        n = int(ref)
        return report.groups[n - 1] if 0 < n <= len(report.groups) else None
    return next((g for g in report.groups if g.key == ref.lower()), None)


def phrasings(group: Group, *, limit: int = 10,
              existing: Iterable[str] = (),
              normalizer: Callable[[str], str] | None = None) -> dict[str, list[str]]:
    """The group's questions fit to become phrasings, by language (zh / en): no masked
    numbers, not too long, not already a phrasing (compared normalized)."""
    norm = normalizer or (lambda s: " ".join(s.lower().split()))
    seen = {norm(e) for e in existing}
    out: dict[str, list[str]] = {}
    n = 0
    for q in group.questions:
        text = " ".join(q.text.split())
        if (not text or len(text) > MAX_PHRASING_CHARS or any(m in text for m in MASKS)
                or text.endswith("…")):
            continue
        key = norm(text)
        if not key or key in seen:
            continue
        seen.add(key)
        lang = "zh" if _CJK_CHAR.search(text) else "en"
        out.setdefault(lang, []).append(text)
        n += 1
        if n >= limit:
            break
    return out
