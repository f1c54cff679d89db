"""The Docker files agree with the code (no Docker engine here: the files are parsed).

The compose service must run the `run` subcommand that exists, mount faq/ read-only where
the settings module looks for it, keep data/ (the database and heartbeat) in a named
volume, and only set environment variables the settings module reads.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from bot.cli.main import build_parser
from bot.settings import Settings
from bot.tg.app import HEARTBEAT_NAME

ROOT = Path(__file__).resolve().parents[2]


class _Recorder(Mapping[str, str]):
    """An empty environment that remembers which variables were asked for."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return default

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


def settings_variables() -> set[str]:
    env = _Recorder()
    Settings.from_env(env)
    return env.asked


@pytest.fixture(scope="module")
def service() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert set(compose["volumes"]) == {"bot-data"}
    return compose["services"]["bot"]


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_settings_variables_are_found() -> None:
    names = settings_variables()
    assert {"TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "BOT_STAFF_IDS", "BOT_DB_PATH",
            "BOT_FAQ_DIR", "BOT_WEBHOOK_SECRET"} <= names


def test_compose_runs_the_bot_subcommand(service: dict[str, Any]) -> None:
    command = service["command"]
    assert command[:3] == ["python", "-m", "bot"]
    args = build_parser(Settings.from_env({})).parse_args(command[3:])
    assert args.command == "run" and args.func.__module__ == "bot.cli.run"
    assert service["restart"] == "unless-stopped"
    assert service["env_file"][0]["path"] == ".env"


def test_compose_environment_uses_only_settings_variables(service: dict[str, Any]) -> None:
    env = service["environment"]
    assert set(env) <= settings_variables()
    assert "TELEGRAM_BOT_TOKEN" not in env  # secrets come from .env, never the compose file


def test_compose_mounts_faq_read_only_and_data_in_a_named_volume(
        service: dict[str, Any]) -> None:
    env = service["environment"]
    mounts = {}
    for spec in service["volumes"]:
        source, target, *mode = spec.split(":")
        mounts[target] = (source, mode)
    assert mounts[env["BOT_FAQ_DIR"]] == ("./faq", ["ro"])
    data_dir = str(PurePosixPath(env["BOT_DB_PATH"]).parent)
    assert mounts[data_dir] == ("bot-data", [])
    settings = Settings.from_env(env)
    assert str(settings.faq_dir) == env["BOT_FAQ_DIR"]
    assert str(settings.db_path) == env["BOT_DB_PATH"]


def test_dockerfile_is_slim_non_root_installed_and_healthchecked(dockerfile: str) -> None:
    lines = [ln.strip() for ln in dockerfile.splitlines() if ln.strip()
             and not ln.strip().startswith("#")]
    assert re.fullmatch(r"FROM python:3\.\d+-slim", lines[0])
    [user] = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert user not in ("root", "0")
    assert "RUN pip install ." in dockerfile
    assert json.loads(dockerfile.split("CMD ", 2)[-1].splitlines()[0]) == [
        "python", "-m", "bot", "run"]
    # ENV names are settings variables, and the health check reads the heartbeat the bot
    # writes next to the database.
    env = dict(re.findall(r"(BOT_[A-Z_]+)=(\S+)", dockerfile))
    assert set(env) <= settings_variables()
    health = dockerfile[dockerfile.index("HEALTHCHECK"):]
    heartbeat = str(PurePosixPath(env["BOT_DB_PATH"]).parent / HEARTBEAT_NAME)
    assert heartbeat in health.split("CMD", 1)[1].splitlines()[0]


def test_dockerfile_and_compose_agree(service: dict[str, Any], dockerfile: str) -> None:
    env = dict(re.findall(r"(BOT_[A-Z_]+)=(\S+)", dockerfile))
    for key, value in service["environment"].items():
        assert env.get(key, value) == value, key
    cmd = json.loads(dockerfile.split("\nCMD ", 1)[1].splitlines()[0])
    assert cmd == service["command"]
    assert shlex.join(cmd) == "python -m bot run"


def test_dockerignore_keeps_secrets_and_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".env", ".venv", "data", ".git"} <= ignored


def test_compose_serves_the_console_on_the_host_only() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    console, bot = compose["services"]["console"], compose["services"]["bot"]
    args = build_parser(Settings.from_env({})).parse_args(console["command"][3:])
    assert args.command == "console" and args.func.__module__ == "bot.cli.console"
    env = console["environment"]
    assert set(env) <= settings_variables()
    settings = Settings.from_env({k: str(v) for k, v in env.items()})
    # Published on the host's loopback only, to the port the console listens on.
    [port] = console["ports"]
    host, _published, target = port.split(":")
    assert host == "127.0.0.1" and int(target) == settings.console_port
    assert settings.console_listen == "0.0.0.0"  # inside the container
    # The same database and FAQ as the bot; the FAQ writable for the console's edits.
    mounts = {v.split(":")[1]: v.split(":") for v in console["volumes"]}
    assert mounts[env["BOT_FAQ_DIR"]] == ["./faq", env["BOT_FAQ_DIR"]]
    assert env["BOT_DB_PATH"] == bot["environment"]["BOT_DB_PATH"]
    assert mounts[str(PurePosixPath(env["BOT_DB_PATH"]).parent)][0] == "bot-data"
    assert console["image"] == bot["image"]
