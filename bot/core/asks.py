"""What a question asks for: how, how much, when, who, where, what, whether — and narrower
things (whether insurance pays, a price, a refund, a complaint…).

Pure. Entries on one subject differ mostly in this (异地就医怎么备案 / 备案要多久 / 哪些人能
备案 / 要不要备案), and it is said in function words that the word-level evidence drops as
stop words and the character n-grams barely weigh. The matcher compares the kinds a
question asks with those its candidate entry's phrasings ask.
"""

from __future__ import annotations

import re

from bot.core.normalize import trie_pattern

# On normalized text: the synonyms have already folded 咋/如何/怎样 into 怎么, 啥 into 什么.
_KINDS: dict[str, tuple[str, ...]] = {
    "how": ("怎么", "流程", "步骤", "手续", "办理", "how do", "how can", "how to", "procedure",
            "steps", "apply"),
    "amount": ("多少", "几个", "几家", "几万", "几成", "比例", "标准", "金额", "how much",
               "how many", "percentage", "rate"),
    "time": ("多久", "多长时间", "几天", "什么时候", "何时", "时间", "几号", "哪天", "到账",
             "when", "how long"),
    "who": ("谁", "哪些人", "什么人", "哪类人", "对象", "条件", "资格", "who", "eligible",
            "qualify"),
    "where": ("哪里", "哪儿", "在哪", "什么地方", "哪家", "渠道", "途径", "入口", "where",
              "which app"),
    "what": ("什么是", "是什么", "什么意思", "是干什么", "有什么用", "包括", "what is",
             "what are", "what does", "mean"),
    "whether": ("吗", "能不能", "可不可以", "是不是", "要不要", "有没有", "行不行", "能否",
                "是否", "can i", "do i", "does", "is it", "will", "is there"),
}
# Narrower things a question may ask about a subject: a look-alike asks one of these of an
# entry whose phrasings never do (蒙医正骨医保报销吗 of the entry saying where bone-setting
# is offered; 挂号后怎么退号 of the one on booking by phone; 个人账户能取现吗).
_SPECIFIC: dict[str, tuple[str, ...]] = {
    "coverage": ("能报吗", "报销吗", "能报销吗", "给报吗", "报不报", "能不能报", "可以报吗",
                 "能用医保", "可以用医保", "走医保", "医保报销吗", "covered by", "reimbursable"),
    "price": ("多少钱", "价格", "收费标准", "一次多少", "要花多少", "cost", "price", "fee"),
    "complaint": ("投诉", "申诉", "不服", "举报", "复议", "复核", "维权", "反映", "complain",
                  "appeal"),
    "refund": ("退号", "退费", "退钱", "怎么退", "退款", "取消", "撤销", "解绑", "解除绑定",
               "refund", "cancel", "unbind"),
    "validity": ("有效期", "过期", "多久有效", "失效", "valid", "expire"),
    "withdraw": ("取现", "取出来", "提现", "withdraw", "cash out"),
    "privacy": ("泄露", "隐私", "privacy", "leak"),
    "side_effects": ("副作用", "不良反应", "side effect"),
    "records": ("打印", "开证明", "在哪查", "哪里查", "怎么查", "查询结果", "print",
                "certificate"),
    "hours": ("营业", "上班时间", "几点", "开门", "周末", "节假日", "opening hours", "open on"),
    "staff_pay": ("工资", "年薪", "编制", "招聘", "应聘", "salary", "hiring"),
}
SPECIFIC = frozenset(_SPECIFIC)
_KINDS.update(_SPECIFIC)
KINDS = tuple(_KINDS)
_KIND_OF: dict[str, list[str]] = {}
for _kind, _words in _KINDS.items():
    for _w in _words:
        _KIND_OF.setdefault(_w, []).append(_kind)
# One trie for every kind's cues (a flat alternation would try each cue at every
# position), Latin words whole; inside a lookahead, so that it is tried at every position
# rather than resuming after a match: cues overlap (在哪里查 is a "where" and a "how to look
# up records"), and each is evidence.
_PATTERN = re.compile("(?=(" + trie_pattern(_KIND_OF) + "))")


def asks(normalized: str) -> frozenset[str]:
    """The kinds of answer a normalized question asks for (often none, sometimes two)."""
    return frozenset(k for m in _PATTERN.finditer(normalized) for k in _KIND_OF[m.group(1)])


def fit(question: frozenset[str], entry: dict[str, float]) -> float:
    """How well an entry's phrasings ask what the question asks: the largest share of its
    phrasings asking one of the question's kinds; 0.5 (no evidence) when the question's
    wording shows none."""
    if not question:
        return 0.5
    return max(entry.get(k, 0.0) for k in question)


def unmet(question: frozenset[str], entry: dict[str, float]) -> float:
    """1 when the question asks one of the narrower things (a refund, a complaint, whether
    insurance pays…) that none of the entry's phrasings asks, else 0."""
    return 1.0 if any(k in SPECIFIC and not entry.get(k) for k in question) else 0.0
