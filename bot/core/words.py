"""Word-level tokens: Chinese words from a segmenter, English words lightly stemmed.

Character n-grams (normalize.tokens) need no dictionary but cannot tell 乳腺癌 from the
characters it shares with 癌症筛查; words can. rjieba (jieba's dictionary, compiled) loads
in about 0.1 s, where pure-Python jieba takes over a second.

The segmenter is one per process: building another costs 0.1 s, which a FAQ hot reload
cannot afford. The FAQ's own vocabulary is added to it at load; the dictionary only grows,
so a word of an older FAQ stays a word, which moves segmentation only towards FAQ terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain

import rjieba

from bot.core.normalize import stem

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9]*|[0-9]+")
# A frequency high enough that jieba keeps an FAQ term whole (直接结算, 门诊慢特病).
_USER_WORD_FREQ = 20_000

# Words that say nothing about which entry is meant. Not user-facing: matching vocabulary.
_ZH_STOP_WORDS = """
的 了 是 我 你 他 她 它 们 我们 你们 他们 吗 吧 呢 啊 呀 么 嘛 在 有 和 与 及 或 也 都
就 还 又 要 能 会 可以 可不可以 能不能 是不是 有没有 这 那 这个 那个 这种 那种 一个 个
一下 什么 怎么 怎么办 多少 哪 哪里 哪儿 哪些 吗 不 没 没有 给 让 被 把 对 从 到 去 来 上 下 里
中 后 前 时候 现在 如果 但是 因为 所以 而且 然后 请 想 问 知道 告诉 一些 些 点 过 着 得
地 之 其 该 为 为什么 呗 嗯 哦 喔 吗 咱 咱们 自己 人家 家里
"""
ZH_STOP = frozenset(_ZH_STOP_WORDS.split())
_EN_STOP_WORDS = """
a an the i me my we our you your he she it its they them their is are was were be been
being am do does did doing have has had having can could will would should shall may
might must to of in on at for from by with about as into than then so if or and but not
no what which who whom whose how when where why this that these those there here any
some much many more most get got getting tell know want need please just also still s t
don didn doesn isn aren wasn cannot
"""
EN_STOP = frozenset(_EN_STOP_WORDS.split())
_added: set[str] = set()


def add_user_words(words: Iterable[str]) -> None:
    """Teach the process-wide segmenter the FAQ's terms (normalized form). Not its
    function words (怎么办 from the synonyms): boosted, 怎么办 would swallow the 办 of
    怎么办理 and lose the word 办理."""
    for w in words:
        if w in ZH_STOP:
            continue
        if w not in _added and len(w) > 1 and _CJK_CHAR.search(w) and " " not in w:
            rjieba.add_word(w, _USER_WORD_FREQ, None)
            _added.add(w)


@lru_cache(maxsize=1 << 16)
def _latin(part: str) -> tuple[str, ...]:
    """The content words of one Latin run, stemmed (cached: a FAQ repeats its words)."""
    return tuple(
        w if w.isdigit() else stem(w) for w in _LATIN_WORD.findall(part) if w not in EN_STOP
    )


class _Content(dict[str, tuple[str, ...]]):
    """What each segmenter token contributes to a text's words: nothing (a stop word, a
    space), itself, or its Latin words. A look-up table, so that a FAQ's million tokens
    are mapped at C speed; it holds the words seen so far, up to a bound (questions bring
    new Latin words forever)."""

    def __missing__(self, w: str) -> tuple[str, ...]:
        if w in ZH_STOP or w == " ":
            out: tuple[str, ...] = ()
        elif w.isascii():
            out = _latin(w)
        else:
            out = (w,)
        if len(self) < _CONTENT_CACHE:
            self[w] = out
        return out


_CONTENT_CACHE = 1 << 16
_content = _Content()


def pieces(normalized: str) -> list[str]:
    """What `words` reads a text as: its segmenter tokens (an ASCII text: its parts
    between spaces), each giving the content words `content(piece)`."""
    if normalized.isascii():
        return normalized.split()
    return rjieba.cut(normalized, False)


def content(piece: str) -> tuple[str, ...]:
    """The content words of one of a text's `pieces`."""
    return _content[piece]


def words(normalized: str) -> list[str]:
    """Content words of a normalized text: Chinese words and stemmed English words."""
    if normalized.isascii():
        return list(chain.from_iterable(map(_latin, normalized.split())))
    # One segmenter call for the whole text: it keeps Latin runs whole and returns the
    # spaces between parts as tokens of their own.
    return list(chain.from_iterable(map(_content.__getitem__, rjieba.cut(normalized, False))))
