"""Locale files: same keys and placeholders everywhere; zh is the fallback; one file a language."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.core.i18n import DEFAULT_LANG, LocaleError, Locales, placeholders
from bot.core.languages import LANGUAGES
from bot.tg.handlers import COMMANDS, STAFF_COMMANDS
from bot.tg.keyboards import lang_markup

ROOT = Path(__file__).resolve().parents[2]
LOCALES_DIR = ROOT / "locales"
FILES = sorted(LOCALES_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def loc() -> Locales:
    return Locales.load(LOCALES_DIR)


def test_zh_and_en_exist() -> None:
    assert {p.stem for p in FILES} >= {"zh", "en"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_same_keys_and_placeholders_as_zh(loc: Locales, path: Path) -> None:
    ref, other = loc.table(DEFAULT_LANG), loc.table(path.stem)
    assert sorted(set(ref) - set(other)) == [], f"{path.name} lacks keys"
    assert sorted(set(other) - set(ref)) == [], f"{path.name} has keys zh.yaml lacks"
    wrong = {k: (placeholders(ref[k]), placeholders(other[k])) for k in ref
             if placeholders(ref[k]) != placeholders(other[k])}
    assert wrong == {}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_string_formats(loc: Locales, path: Path) -> None:
    for key, template in loc.table(path.stem).items():
        template.format(**dict.fromkeys(placeholders(template), "x"))  # no stray braces
        assert template.strip(), key


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_files_are_plain_yaml_mappings(path: Path) -> None:
    assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict)


def test_every_key_the_telegram_code_uses_exists(loc: Locales) -> None:
    used: set[str] = set()
    for source in sorted((ROOT / "bot").glob("tg_*.py")):
        used |= set(re.findall(r"\"(tg\.[a-z_]+)\"", source.read_text(encoding="utf-8")))
    used |= {key for _, key in COMMANDS + STAFF_COMMANDS}
    assert used, "the scan found nothing: the pattern is wrong"
    assert sorted(used - set(loc.table(DEFAULT_LANG))) == []


def test_command_descriptions_fit_telegram(loc: Locales) -> None:
    for lang in loc.languages:
        for _, key in COMMANDS + STAFF_COMMANDS:
            assert 1 <= len(loc.t(lang, key)) <= 256


def test_unknown_language_falls_back_to_zh(loc: Locales) -> None:
    for code in ("fr", "xx-YY", "", None, "ZH-hant"):
        assert loc.t(code, "tg.error") == loc.t("zh", "tg.error")
    assert loc.resolve("en-GB") == "en"


def test_a_third_language_is_one_more_file_and_its_code(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # The registry (bot/core/languages.py) gains the code; the rest is the file.
    monkeypatch.setattr("bot.core.i18n.LANGUAGES", ("zh", "en", "ug"))
    shutil.copytree(LOCALES_DIR, tmp_path / "locales")
    en = (tmp_path / "locales" / "en.yaml").read_text(encoding="utf-8")
    (tmp_path / "locales" / "ug.yaml").write_text(
        en.replace('lang_name: "English"', 'lang_name: "ئۇيغۇرچە"'), encoding="utf-8")
    loc = Locales.load(tmp_path / "locales")
    assert loc.languages == ("en", "ug", "zh")
    assert loc.resolve("ug-CN") == "ug"
    languages = [(c, loc.t(c, "tg.lang_name")) for c in loc.languages]
    markup = lang_markup(loc, "zh", languages)
    assert markup is not None
    assert [row[0].callback_data for row in markup.inline_keyboard] == ["lg:en", "lg:ug", "lg:zh"]


def test_locales_follow_the_language_registry(tmp_path: Path) -> None:
    for lang in LANGUAGES:
        shutil.copy(LOCALES_DIR / f"{lang}.yaml", tmp_path / f"{lang}.yaml")
    assert set(Locales.load(tmp_path).languages) == set(LANGUAGES)
    (tmp_path / "ug.yaml").write_text("tg: {}\n", encoding="utf-8")
    with pytest.raises(LocaleError, match=r"ug.yaml.*languages\.py"):
        Locales.load(tmp_path)
    (tmp_path / "ug.yaml").unlink()
    (tmp_path / "en.yaml").unlink()
    with pytest.raises(LocaleError, match="no locale file for en"):
        Locales.load(tmp_path)
