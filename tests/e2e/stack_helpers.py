"""Shared pieces for end-to-end tests on the local stack (real processes on loopback ports)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from runtime.connection import connect
from runtime.settings import TemporalSettings
from runtime.stack import StackConfig
from workflows.contract import workflow_id_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "onboarding.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stack_config(home: Path, **changes: Any) -> StackConfig:
    ports = dict(temporal_port=free_port(), ui_port=None, sandbox_port=free_port(), relay_port=free_port())
    return StackConfig(home=home, **{**ports, **changes})


def unique_request(tmp_path: Path, **overrides: Any) -> tuple[Path, dict[str, Any]]:
    """The example request under fresh names, so onboardings sharing a sandbox never match each
    other's brand, campaign or connector as an earlier attempt."""
    request = json.loads(EXAMPLE.read_text())
    tag = uuid.uuid4().hex[:8]
    request["onboarding_id"] = f"e2e-{tag}"
    request["brand"]["displayName"] = f"Acme Plumbing {tag}"
    request["brand"]["ein"] = str(int(tag, 16) % 10**9).zfill(9)
    request["campaign"]["name"] = f"Acme Plumbing reminders {tag}"
    request["campaign"]["samples"] = [s.replace("Acme Plumbing", f"Acme Plumbing {tag}") for s in request["campaign"]["samples"]]
    request["connector"]["name"] = f"Acme Plumbing SMS {tag}"
    request.update(overrides)
    path = tmp_path / f"{request['onboarding_id']}.json"
    path.write_text(json.dumps(request))
    return path, request


async def run_cli(config: StackConfig, *args: str, timeout: float = 120) -> tuple[int, str]:
    """`tendlc ARGS` against the stack, as a person would run it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "starter.cli", *args,
        env={**os.environ, **config.env()}, cwd=config.home,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode or 0, out.decode()


async def client_for(config: StackConfig) -> Client:
    return await connect(TemporalSettings(_env_file=None, temporal_address=config.temporal_address))


async def activity_counts(client: Client, onboarding_id: str) -> Counter[str]:
    """How many times each activity type was scheduled in the onboarding's latest run (these tests'
    onboardings finish in one run)."""
    counts: Counter[str] = Counter()
    handle = client.get_workflow_handle(workflow_id_for(onboarding_id))
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            counts[event.activity_task_scheduled_event_attributes.activity_type.name] += 1
    return counts


def charges_for(ledger: dict[str, Any], object_ids: set[str]) -> Counter[str]:
    return Counter(e["kind"] for e in ledger["entries"] if e["objectId"] in object_ids)
