"""The pure parts: SVG charts and sign-in tokens."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from bot.console import svg
from bot.staff import signin

KEY = b"k" * 32
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
SVG = "{http://www.w3.org/2000/svg}"


def test_stacked_bars_are_valid_svg_with_titles_and_escaped_labels() -> None:
    out = svg.stacked_bars(["d1", "<d2>"], [("a&b", "#000", [1, 2]), ("c", "#fff", [0, 3])],
                           "T <x>")
    root = ET.fromstring(out)
    assert root.attrib["role"] == "img" and root.find(f"{SVG}title").text == "T <x>"
    titles = [t.text for t in root.iter(f"{SVG}title")][1:]
    assert titles == ["d1 a&b: 1", "<d2> a&b: 2", "<d2> c: 3"]  # zero segments are left out
    assert "<d2>" not in out


def test_hbars_carry_their_numbers() -> None:
    root = ET.fromstring(svg.hbars([("昌吉", 5), ("<b>", 0)], "regions"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["昌吉", "5", "<b>", "0"]


def test_tokens_verify_and_expire() -> None:
    token = signin.make_token(KEY, 42, NOW)
    t = signin.verify_token(KEY, token, NOW + dt.timedelta(minutes=9))
    assert t.staff_id == 42 and t.expires == NOW + signin.LINK_LIFETIME
    with pytest.raises(signin.SigninError, match="expired"):
        signin.verify_token(KEY, token, NOW + dt.timedelta(minutes=11))
    with pytest.raises(signin.SigninError, match="signature"):
        signin.verify_token(b"x" * 32, token, NOW)
    assert signin.make_token(KEY, 42, NOW) != token  # a fresh nonce each time


def test_the_key_is_its_own(tmp_path: object) -> None:
    a = signin.console_key(None, "h" * 32, "unused.db")
    assert a != signin.console_key(None, "i" * 32, "unused.db")
    assert a != signin.console_key("c" * 32, "h" * 32, "unused.db")
    with pytest.raises(signin.SigninError):
        signin.console_key("short", None, "unused.db")
