"""`tendlc sandbox`: flags, environment and config file; a real process that keeps its state."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sandbox.cli import _banner, build_config, configure
from sandbox.config import DEFAULT_ACCESS_KEY, DEFAULT_WORKSPACE_ID, SandboxConfig
from starter.cli import build_parser
from tests.sandbox.helpers import BRAND, WS

ROOT = Path(__file__).resolve().parents[2]


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure(parser)
    return parser.parse_args(argv)


def test_flags_environment_and_config_file(tmp_path, monkeypatch):
    monkeypatch.delenv("BIRD_ACCESS_KEY", raising=False)
    monkeypatch.delenv("BIRD_WORKSPACE_ID", raising=False)
    config = build_config(parse())
    assert config.access_key.get_secret_value() == DEFAULT_ACCESS_KEY
    assert config.workspace_id == DEFAULT_WORKSPACE_ID and config.state_file is None

    monkeypatch.setenv("BIRD_ACCESS_KEY", "from-env")
    file = tmp_path / "sandbox.json"
    settings = {"seed": 3, "fees": {"brand": "9.00"}, "scenario": {"campaign": {"outcome": "decline"}}}
    file.write_text(json.dumps(settings))
    config = build_config(parse(
        "--config", str(file), "--delay", "0", "--state", str(tmp_path / "s.json"),
        "--deliver-to", "http://127.0.0.1:8788/webhooks/bird",
        "--deliver-to", "https://relay.example.com/hook=http://127.0.0.1:9999/hook",
    ))  # fmt: skip
    assert config.access_key.get_secret_value() == "from-env"
    assert (config.seed, str(config.fees.brand), config.scenario.campaign[0].outcome) == (3, "9.00", "decline")
    assert config.delays.model_dump() == {"brand": 0, "vetting": 0, "campaign": 0, "channel": 0, "connector": 0}
    assert config.deliver_to == {
        "*": "http://127.0.0.1:8788/webhooks/bird",
        "https://relay.example.com/hook": "http://127.0.0.1:9999/hook",
    }
    assert build_config(parse("--access-key", "flag-key")).access_key.get_secret_value() == "flag-key"


def test_instant_config_changes_only_the_delays_it_names():
    config = SandboxConfig.instant(delays={"brand": 0.3}, webhooks={"retryFor": 9})
    assert config.delays.model_dump() == {"brand": 0.3, "vetting": 0, "campaign": 0, "channel": 0, "connector": 0}
    assert (config.webhooks.retry_for, config.webhooks.retry_initial) == (9, 0.05)
    assert SandboxConfig().delays.campaign == 5  # the demo's defaults are short, not zero


def test_the_banner_names_the_ids_but_not_a_real_key():
    config = build_config(parse("--access-key", "a-real-looking-key"))
    banner = _banner(config, "127.0.0.1", 8787)
    assert DEFAULT_WORKSPACE_ID in banner and "a-real-looking-key" not in banner


def test_tendlc_knows_the_command():
    args = build_parser("sandbox").parse_args(["sandbox", "--port", "9999", "--delay", "0.5"])
    assert (args.port, args.delay) == (9999, 0.5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int, state: Path) -> subprocess.Popen:
    env = {**os.environ, "BIRD_ACCESS_KEY": "cli-test-key", "BIRD_WORKSPACE_ID": ""}
    argv = ["--port", str(port), "--state", str(state), "--delay", "0", "--log-level", "warning"]
    return subprocess.Popen(
        [sys.executable, "-m", "sandbox", *argv],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_healthy(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the sandbox exited: {process.stdout.read()}")
        try:
            if httpx.get(f"{base}/_sandbox/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("the sandbox did not become healthy")


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=15)
    return output


def test_a_real_process_keeps_its_state_across_a_restart(tmp_path):
    port, state = free_port(), tmp_path / "state.json"
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": "AccessKey cli-test-key"}
    process = start(port, state)
    try:
        wait_healthy(base, process)
        httpx.put(f"{base}/_sandbox/scenario", json={"brand": {"outcome": "hold"}}).raise_for_status()
        created = httpx.post(f"{base}/workspaces/{WS}/tcr-brands", json=BRAND, headers=auth)
        assert created.status_code == 201, created.text
        brand_id = created.json()["id"]
    finally:
        output = stop(process)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "5a4d0b1e-0000-4000-8000-000000000002" in output and "cli-test-key" not in output

    process = start(port, state)
    try:
        wait_healthy(base, process)
        brand = httpx.get(f"{base}/workspaces/{WS}/tcr-brands/{brand_id}", headers=auth).json()
        assert brand["status"] == "PENDING"
        httpx.post(f"{base}/_sandbox/objects/brand/{brand_id}/review", json={"outcome": "approve"}).raise_for_status()
        assert httpx.get(f"{base}/workspaces/{WS}/tcr-brands/{brand_id}", headers=auth).json()["status"] == "APPROVED"
    finally:
        stop(process)


def test_a_bad_state_file_stops_the_start_with_a_clear_message(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("not json")
    process = start(free_port(), state)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 2 and "is not a sandbox state file" in output
