"""docker-compose.yml: valid for Compose itself where it is installed, and consistent with the code."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from workflows.contract import SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCUMENTED_ENV = {
    "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TENDLC_TASK_QUEUE", "TEMPORAL_API_KEY", "TEMPORAL_TLS_CERT",
    "TEMPORAL_TLS_KEY", "BIRD_API_BASE_URL", "BIRD_ACCESS_KEY", "BIRD_WORKSPACE_ID", "BIRD_ORGANIZATION_ID",
    "BIRD_SIGNING_KEY", "RELAY_PUBLIC_URL", "BIRD_READINESS_PATH", "TENDLC_POLL_MIN_SECONDS",
    "TENDLC_POLL_MAX_SECONDS",
    # beyond docs/architecture.md's names, each documented in the README: the UI link the CLI prints, and the
    # relay's extra keys for rotation
    "TEMPORAL_UI_URL", "RELAY_SIGNING_KEYS",
}  # fmt: skip


def compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_config_passes():
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    result = subprocess.run([*command, "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_parts_are_there(compose):
    services = compose["services"]
    assert {"postgresql", "temporal", "temporal-ui", "search-attributes", "worker", "relay", "sandbox"} <= set(services)
    assert services["sandbox"]["profiles"] == ["sandbox"]
    for name in ("worker", "relay", "sandbox"):
        assert services[name]["build"] == "."
    assert (ROOT / "Dockerfile").exists()


def test_every_search_attribute_is_registered(compose):
    job = " ".join(compose["services"]["search-attributes"]["command"])
    assert {key.name for key in SEARCH_ATTRIBUTES} <= set(re.findall(r"\w+", job))


def test_configuration_uses_the_documented_names(compose):
    env = compose["services"]["worker"]["environment"]
    assert set(env) <= DOCUMENTED_ENV
    assert {"BIRD_ACCESS_KEY", "TEMPORAL_ADDRESS", "RELAY_PUBLIC_URL", "BIRD_SIGNING_KEY"} <= set(env)
    assert compose["services"]["relay"]["environment"] == env


def test_the_image_contains_every_package(compose):
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("bird", "activities", "workflows", "intake", "runtime", "worker", "starter", "relay", "sandbox"):
        assert f"COPY {package} ./{package}" in dockerfile
