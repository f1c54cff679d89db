"""Shared fixtures: the real FAQ, an engine on it, and where the source reports live."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.i18n import Locales
from bot.core.kb import KnowledgeBase, load_kb
from bot.core.render import Renderer
from tests.helpers import FAQ_DIR, LOCALES_DIR, TODAY


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb(FAQ_DIR)


@pytest.fixture(scope="session")
def engine(kb: KnowledgeBase) -> Engine:
    return Engine(kb, today=TODAY)


@pytest.fixture(scope="session")
def locales() -> Locales:
    return Locales.load(LOCALES_DIR)


@pytest.fixture(scope="session")
def renderer(kb: KnowledgeBase, locales: Locales) -> Renderer:
    return Renderer(kb, locales)


@pytest.fixture
def faq_copy(tmp_path: Path) -> Path:
    """A writable copy of the real FAQ directory."""
    dest = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, dest)
    return dest
