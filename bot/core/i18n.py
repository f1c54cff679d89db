"""User-facing strings, one YAML file per language in locales/.

Adding a language is adding one file: every file must have the same keys and the same
placeholders as zh.yaml (a test checks). Unknown languages fall back to zh.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.core.languages import DEFAULT_LANG, LANGUAGES


class LocaleError(ValueError):
    """A locale file is missing, malformed, or lacks a key; the message names it."""


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


def placeholders(template: str) -> frozenset[str]:
    return frozenset(f for _, f, _, _ in string.Formatter().parse(template) if f)


class Locales:
    """Every language's strings, loaded and checked once."""

    def __init__(self, tables: Mapping[str, Mapping[str, str]]) -> None:
        if DEFAULT_LANG not in tables:
            raise LocaleError(f"no {DEFAULT_LANG}.yaml locale")
        self._tables = dict(tables)

    @classmethod
    def load(cls, directory: str | Path) -> Locales:
        tables: dict[str, dict[str, str]] = {}
        for path in sorted(Path(directory).glob("*.yaml")):
            try:
                raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                raise LocaleError(f"{path.name}: {exc}") from exc
            if not isinstance(raw, Mapping):
                raise LocaleError(f"{path.name}: expected a mapping of keys to strings")
            if path.stem not in LANGUAGES:
                raise LocaleError(f"{path.name}: '{path.stem}' is not a language of the bot "
                                  f"(bot/core/languages.py has {', '.join(LANGUAGES)})")
            tables[path.stem] = _flatten(raw)
        missing = [lang for lang in LANGUAGES if lang not in tables]
        if missing:
            raise LocaleError(f"no locale file for {', '.join(missing)} in {directory}")
        return cls(tables)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self._tables))

    def table(self, lang: str) -> Mapping[str, str]:
        return self._tables[lang]

    def resolve(self, lang: str | None) -> str:
        """A language we have: `lang` itself, its base (en-GB -> en), or zh."""
        if lang:
            base = lang.lower().replace("_", "-").split("-")[0]
            if base in self._tables:
                return base
        return DEFAULT_LANG

    def t(self, lang: str | None, key: str, **values: object) -> str:
        """The string `key` in `lang` with `values` filled in."""
        table = self._tables[self.resolve(lang)]
        template = table.get(key) or self._tables[DEFAULT_LANG].get(key)
        if template is None:
            raise LocaleError(f"missing locale key '{key}'")
        return template.format(**values) if values else template
