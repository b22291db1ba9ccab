"""compose.yaml and the Dockerfile, checked without a Docker engine (none runs on the
machines that test Lightbox): every command a service runs exists and accepts its
arguments, every variable it sets is one Lightbox reads and docs/configuration.md
describes, every secret it asks for is in deploy/env.example, and what the image copies
exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[3]
LIGHTBOX_SERVICES = ("init", "web", "worker")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _environment(compose: dict[str, Any], name: str) -> dict[str, str]:
    return compose["services"][name]["environment"]


def _manage_commands(command: list[str]) -> list[list[str]]:
    """The ``manage.py`` invocations of a service's command (``sh -c "a && b"`` too)."""
    if command[:2] == ["sh", "-c"]:
        parts = [shlex.split(part) for part in command[2].split("&&")]
    else:
        parts = [command]
    for part in parts:
        assert part[:2] == ["python", "manage.py"], part
    return [part[2:] for part in parts]


def test_it_runs_the_whole_scaled_out_installation(compose):
    assert set(compose["services"]) == {"postgres", "redis", "s3", *LIGHTBOX_SERVICES}
    env = _environment(compose, "web")
    assert env["LIGHTBOX_TASKS"] == "redis" and env["LIGHTBOX_STORAGE"] == "s3"
    assert env["DATABASE_URL"].startswith("postgres://")
    # Every Lightbox process of the installation has the same settings.
    for name in LIGHTBOX_SERVICES:
        assert _environment(compose, name) == env, name
    # Web and workers share the quarantine (and the secrets' files) on one volume.
    volumes = {name: compose["services"][name]["volumes"] for name in LIGHTBOX_SERVICES}
    assert all(v == ["lightbox-data:/srv/lightbox"] for v in volumes.values()), volumes
    assert compose["services"]["worker"]["deploy"]["replicas"] >= 2
    # A queued task survives a restart of Redis: its append-only file, on a volume.
    redis = compose["services"]["redis"]
    assert "--appendonly" in redis["command"] and "always" in redis["command"]
    assert redis["volumes"] == ["redis-data:/data"]


def test_every_command_exists_and_takes_its_arguments(compose):
    known = get_commands()
    for name in LIGHTBOX_SERVICES:
        for argv in _manage_commands(compose["services"][name]["command"]):
            command, *args = argv
            assert command in known, f"{name}: no command {command}"
            if not args:
                continue
            parser = load_command_class(known[command], command).create_parser(
                "manage.py", command
            )
            parser.parse_args(args)  # exits (SystemExit) on an unknown option
    web = compose["services"]["web"]["command"]
    assert "--no-worker" in web and "0.0.0.0" in web  # noqa: S104 - inside its container


def test_every_variable_is_read_and_documented(compose):
    documented = (ROOT / "docs" / "configuration.md").read_text()
    source = "\n".join(p.read_text() for p in (ROOT / "lightbox").rglob("*.py"))
    for variable in _environment(compose, "web"):
        assert f"`{variable}`" in documented, f"{variable} is not in docs/configuration.md"
        assert f'"{variable}"' in source, f"Lightbox never reads {variable}"


def test_every_secret_it_asks_for_is_in_the_example(compose):
    text = (ROOT / "compose.yaml").read_text()
    asked = set(re.findall(r"\$\{(\w+)", text))
    example = (ROOT / "deploy" / "env.example").read_text()
    offered = set(re.findall(r"^(\w+)=", example, re.MULTILINE))
    assert asked <= offered, asked - offered


def test_the_images_copy_what_exists():
    for dockerfile, context in (
        (ROOT / "Dockerfile", ROOT),
        (ROOT / "deploy" / "postgres.Dockerfile", ROOT / "deploy"),
    ):
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY ") and "--from=" not in line:
                *sources, _ = line.split()[1:]
                for source in sources:
                    assert (context / source).exists(), f"{dockerfile.name}: {source}"
    # WeasyPrint's libraries, as CI installs them, are in the image too.
    ci = (ROOT / ".ci" / "run").read_text()
    packages = re.search(r'PDF_PACKAGES="([^"]+)"', ci)
    assert packages is not None
    image = (ROOT / "Dockerfile").read_text()
    for package in packages.group(1).split():
        assert package in image, package
