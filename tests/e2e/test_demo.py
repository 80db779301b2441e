"""`tendlc demo`, run as a person runs it (non-interactive), to exit 0 with one charge of each kind."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.processes import port_in_use
from tests.e2e.stack_helpers import free_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def demo(tmp_path, *extra: str, timeout: float = 150) -> tuple[subprocess.CompletedProcess[str], list[int]]:
    ports = [free_port() for _ in range(4)]
    argv = [
        sys.executable, "-m", "starter.cli", "demo", "--home", str(tmp_path / "home"), "--delay", "0.2",
        "--temporal-port", str(ports[0]), "--ui-port", str(ports[1]),
        "--sandbox-port", str(ports[2]), "--relay-port", str(ports[3]), *extra,
    ]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=tmp_path, env=dict(os.environ))
    return result, ports


def test_the_demo_onboards_the_example_with_one_charge_of_each_kind(tmp_path):
    started = time.monotonic()
    result, ports = demo(tmp_path, "--summary-json", str(tmp_path / "summary.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["step"] == "DONE"
    assert summary["detail"]["charge_counts"] == {"number": 1, "brand": 1, "vetting": 1, "campaign": 1, "connector": 1}
    assert {c["object_id"] for c in summary["charges"]} <= {o["id"] for o in summary["objects"].values()}
    assert summary["ui"].endswith("/namespaces/default/workflows/onboarding-acme-sms")
    for step in ("BUY_NUMBER", "AWAIT_BRAND", "VETTING", "AWAIT_CAMPAIGN", "AWAIT_READY", "DONE"):
        assert step in result.stdout
    assert "total      91.50 USD" in result.stdout
    assert time.monotonic() - started < 120
    # nothing left running
    assert not any(port_in_use(port) for port in ports)


def test_the_declined_scenario_is_corrected_with_resubmit_campaign_and_reaches_done(tmp_path):
    result, ports = demo(tmp_path, "--scenario", "declined", "--summary-json", str(tmp_path / "summary.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "NEEDS_ACTION" in out and "The description does not say how customers agree to receive messages" in out
    assert "resubmit_campaign accepted" in out and "corrected (description) and resubmitted" in out
    assert out.index("NEEDS_ACTION") < out.index("resubmit_campaign accepted") < out.rindex("DONE")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["step"] == "DONE" and summary["blocked"] is None
    # resubmitting is not a new registration: still one charge of each kind
    assert summary["detail"]["charge_counts"] == {"number": 1, "brand": 1, "vetting": 1, "campaign": 1, "connector": 1}
    assert not any(port_in_use(port) for port in ports)


def test_a_busy_port_is_named_and_nothing_starts(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        ports = [free_port() for _ in range(3)]
        argv = [
            sys.executable, "-m", "starter.cli", "demo", "--home", str(tmp_path / "home"),
            "--temporal-port", str(ports[0]), "--ui-port", str(ports[1]), "--sandbox-port", str(ports[2]),
            "--relay-port", str(busy),
        ]  # fmt: skip
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"{busy} (relay)" in result.stdout
    assert not any(port_in_use(port) for port in ports)


def test_keep_leaves_the_stack_running_until_stop(tmp_path):
    result, ports = demo(tmp_path, "--keep")
    assert result.returncode == 0, result.stdout + result.stderr
    try:
        assert all(port_in_use(port) for port in ports)
        assert "stop with: .venv/bin/tendlc demo --stop --home" in result.stdout
        env_file = tmp_path / "home" / "env"
        assert f". {env_file}" in result.stdout and env_file.stat().st_mode & 0o077 == 0
        # the next command, in a shell that only sourced the file, reaches the same stack
        clean = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
        second = ROOT / "examples" / "onboarding-no-vetting.json"
        script = f". {env_file} && {sys.executable} -m starter.cli status acme-sms --json && " \
                 f"{sys.executable} -m starter.cli start {second}"  # fmt: skip
        used = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT, env=clean)
        assert used.returncode == 0, used.stdout + used.stderr
        assert '"step": "DONE"' in used.stdout and "started onboarding-" in used.stdout
    finally:
        stopped = subprocess.run(
            [sys.executable, "-m", "starter.cli", "demo", "--stop", "--home", str(tmp_path / "home")],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert stopped.returncode == 0, stopped.stdout
    deadline = time.monotonic() + 15
    while any(port_in_use(port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(port_in_use(port) for port in ports)
