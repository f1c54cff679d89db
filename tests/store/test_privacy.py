"""Masking of personal numbers, the pseudonymous user reference and the HMAC secret policy."""

from __future__ import annotations

import hashlib
import logging
import re
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.normalize import MAX_MATCH_CHARS, Normalizer
from bot.store.privacy import (
    MASK_CARD,
    MASK_ID,
    MASK_PHONE,
    MAX_TEXT_CHARS,
    SecretError,
    mask,
    private_normalized,
    private_text,
    resolve_secret,
    secret_path,
    user_ref,
)
from tests.store.helpers import digits_view as _digits_view

ID_NUMBER = "650102199001011234"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"我的身份证号{ID_NUMBER}丢了", f"我的身份证号{MASK_ID}丢了"),
        ("身份证65010219900101123X怎么补", f"身份证{MASK_ID}怎么补"),
        ("id 65010219900101123x", f"id {MASK_ID}"),  # as the normalizer lowercases it
        ("650102 19900101 123X", MASK_ID),  # typed with spaces
        ("６５０１０２１９９００１０１１２３４", MASK_ID),  # full-width digits
        ("电话13812345678", f"电话{MASK_PHONE}"),
        ("138-1234-5678 call me", f"{MASK_PHONE} call me"),
        ("+86 138 1234 5678", MASK_PHONE),
        ("8613812345678", MASK_PHONE),
        ("手机１３８１２３４５６７８", f"手机{MASK_PHONE}"),
        ("卡号6222021234567890123", f"卡号{MASK_CARD}"),
        ("6222 0212 3456 7890", MASK_CARD),
        ("6222-0212-3456-7890-123", MASK_CARD),
        ("13812345678X", MASK_PHONE),
    ],
)
def test_personal_numbers_are_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


PHONE_SHAPES = [
    "138.1234.5678", "138  1234  5678", "138/1234/5678", "138_1234_5678", "138—1234—5678",
    "(138)1234-5678", "（138）1234－5678", "138 12 34 56 78", "138·1234·5678",
    "138\u200b1234\u200b5678", "138 - 1234 - 5678", "138\t1234\n5678",
    "\U0001d7cf\U0001d7d1\U0001d7d6\U0001d7cf\U0001d7d0\U0001d7d1\U0001d7d2\U0001d7d3"
    "\U0001d7d4\U0001d7d5\U0001d7d6",  # mathematical bold 𝟏𝟑𝟖…
    "①③⑧①②③④⑤⑥⑦⑧", "➊➌➑➊➋➌➍➎➏➐➑", "١٣٨١٢٣٤٥٦٧٨",  # circled, dingbat, Arabic-Indic
    "+86.138.1234.5678",
]


@pytest.mark.parametrize("shape", PHONE_SHAPES)
def test_phone_numbers_with_any_separator_never_reach_the_log(shape: str) -> None:
    for text in (shape, f"我的电话{shape}，请回电", f"call {shape} now"):
        out = private_text(text)
        assert MASK_PHONE in out, out
        assert not re.search(r"\d{3}", _digits_view(out)), out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6222.0212.3456.7890", MASK_CARD),
        ("卡号 6222/0212/3456/7890/123", f"卡号 {MASK_CARD}"),
        ("６２２２　０２１２　３４５６　７８９０", MASK_CARD),
        ("身份证6501 0219 9001 0112 34", f"身份证{MASK_ID}"),  # an ID in 4-digit groups
        ("6501-0219-9001-0112-3X号", f"{MASK_ID}号"),
        ("650102.19900101.123X", MASK_ID),
    ],
)
def test_card_and_id_numbers_in_groups_never_reach_the_log(text: str, expected: str) -> None:
    assert private_text(text) == expected


def test_masks_keep_the_rest_of_the_raw_text_exactly() -> None:
    text = "Ｑ：电话（138）1234-5678，2025-03-21 08:30打过👍"
    assert private_text(text) == f"Ｑ：电话{MASK_PHONE}，2025-03-21 08:30打过👍"


def test_a_number_straddling_the_match_cut_leaves_no_digits_in_normalized() -> None:
    norm = Normalizer({}, [])
    for pad in range(MAX_MATCH_CHARS - 12, MAX_MATCH_CHARS):
        for number in ("13812345678", "138 1234 5678", "650102199001011234", "6222021234567890"):
            text = "长" * pad + number + "尾"
            assert not re.search(r"\d{4}", private_normalized(norm(text), text)), (pad, number)
            assert not re.search(r"\d{4}", private_text(text))


def test_a_number_straddling_the_stored_cut_leaves_no_digits() -> None:
    for pad in range(MAX_TEXT_CHARS - 20, MAX_TEXT_CHARS):
        for number in ("138.1234.5678", "6222 0212 3456 7890", "①③⑧①②③④⑤⑥⑦⑧"):
            out = private_text("问" * pad + number)
            assert len(out) <= MAX_TEXT_CHARS
            assert not re.search(r"\d{4}", _digits_view(out)), (pad, number, out[-20:])


@pytest.mark.parametrize(
    "text",
    [
        "2023年门诊报销1500元，住院50000元",
        "2025-03-21 2025-04-01 08:30",  # dates and times are not account numbers
        "报销比例90%，起付线800元",
        "2023 2024 2025年的政策",
        "2023-2024年度",
        "热线0991-1234567",  # a landline (hotlines are public)
        "１２３４５",
        "门诊慢特病第3类",
        "",
    ],
)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert mask(text) == text


def test_mask_then_truncate_so_no_number_escapes_at_the_cut() -> None:
    # The ID straddles the truncation point: cutting first would leave 10 bare digits.
    text = "问" * (MAX_TEXT_CHARS - 10) + ID_NUMBER + "尾"
    out = private_text(text)
    assert len(out) <= MAX_TEXT_CHARS
    assert not re.search(r"\d{6}", out)


def test_truncation_is_bounded_and_marked() -> None:
    out = private_text("长" * 5000)
    assert len(out) == MAX_TEXT_CHARS
    assert out.endswith("…")
    assert private_text("短问题") == "短问题"


def test_lone_surrogates_become_replacement_characters() -> None:
    out = private_text("a\ud800b?")
    assert out == "a\ufffdb?"
    out.encode("utf-8")  # storable


_SAFE_CHARS = st.sampled_from(list("医保卡丢了怎么办？ ,.-abcXx"))
_PIECES = st.one_of(
    st.text(_SAFE_CHARS, max_size=8),
    st.from_regex(r"1[3-9]\d{9}", fullmatch=True),  # mobile
    st.from_regex(r"[1-9]\d{5}(19|20)\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d)\d{3}[\dX]", fullmatch=True),
    st.from_regex(r"\d{12,22}", fullmatch=True),  # card-like
    st.from_regex(r"\d{1,6}", fullmatch=True),  # harmless numbers
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=8))
def test_no_mobile_or_long_digit_run_survives(pieces: list[str]) -> None:
    out = mask("".join(pieces))
    assert not re.search(r"\d{12,}", out), out
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", out), out


# --------------------------------------------------------------------------- user reference


def test_user_ref_is_a_keyed_stable_pseudonym() -> None:
    a = user_ref("s" * 32, 123456789)
    assert a == user_ref("s" * 32, "123456789")  # int and str ids agree
    assert a != user_ref("t" * 32, 123456789)  # depends on the secret
    assert a != user_ref("s" * 32, 123456790)
    assert len(a) == 32 and re.fullmatch(r"[0-9a-f]+", a)
    assert "123456789" not in a
    # Not a plain hash: without the secret, hashing candidate ids finds nothing.
    assert not hashlib.sha256(b"123456789").hexdigest().startswith(a)


# --------------------------------------------------------------------------- secret policy


def test_env_secret_is_used(tmp_path: Path) -> None:
    s = resolve_secret("e" * 40, tmp_path / "q.db")
    assert s.value == "e" * 40 and s.source == "env"
    assert not secret_path(tmp_path / "q.db").exists()
    assert "e" * 40 not in repr(s)


def test_short_env_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="BOT_HMAC_SECRET"):
        resolve_secret("short", tmp_path / "q.db")


def test_missing_secret_is_generated_once_with_0600(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "data" / "q.db"
    with caplog.at_level(logging.WARNING, logger="bot.store.privacy"):
        first = resolve_secret(None, db)
    assert first.source == "generated"
    path = secret_path(db)
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "generated a new secret" in caplog.text and first.value not in caplog.text
    second = resolve_secret("", db)
    assert second.source == "file" and second.value == first.value


def test_loose_secret_file_is_tightened(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "q.db"
    path = secret_path(db)
    path.write_text("f" * 64 + "\n")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="bot.store.privacy"):
        s = resolve_secret(None, db)
    assert s.value == "f" * 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "0600" in caplog.text


def test_empty_secret_file_is_an_error(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    secret_path(db).write_text("\n")
    with pytest.raises(SecretError, match="too short"):
        resolve_secret(None, db)
