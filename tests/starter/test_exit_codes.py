"""`tendlc status` exit codes, checked against the table in README.md: every code the table lists
has a case here that produces it through the CLI, against a real Temporal dev server with no worker
(so the answer also comes from what Temporal holds, not from the status query)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path

import pytest

from starter.cli import main
from tests.starter.unstarted import unstarted
from workflows.contract import workflow_id_for

ROOT = Path(__file__).resolve().parents[2]


def readme_exit_codes() -> dict[int, str]:
    """The rows of README.md's `| exit code | meaning |` table."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| exit code | meaning |"):]
    codes = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        codes[int(cells[0])] = cells[1]
    return codes


@pytest.fixture
async def cases(dev_env):
    """exit code -> onboarding ids (or raw arguments) that must produce it."""
    client = dev_env.client
    terminated = await unstarted(client, "AWAIT_BRAND")
    await client.get_workflow_handle(workflow_id_for(terminated)).terminate("test")
    return {
        0: [await unstarted(client, "AWAIT_BRAND"), await unstarted(client, "DONE")],
        1: [await unstarted(client, "FAILED"), await unstarted(client, "CANCELLED"), terminated],
        2: ["not an id!", "../etc"],
        3: [f"never-started-{uuid.uuid4().hex[:6]}"],
        4: [await unstarted(client, "NEEDS_ACTION")],
    }


async def test_status_exit_codes_match_the_readme_table(dev_env, cases, monkeypatch, capsys):
    documented = readme_exit_codes()
    assert set(documented) == {0, 1, 2, 3, 4, 5}
    address = dev_env.client.service_client.config.target_host
    for code, idents in cases.items():
        for ident in idents:
            monkeypatch.setenv("TEMPORAL_ADDRESS", address)
            got = await asyncio.to_thread(main, ["status", ident, "--json", "--query-timeout", "0.5"])
            assert got == code, (ident, documented[code], capsys.readouterr())
            out = capsys.readouterr().out
            if code in (0, 1, 4):
                view = json.loads(out)
                if ident != cases[1][2]:
                    assert view["source"] == "visibility" and "no worker answered" in view["detail"]["note"]
                assert view["objects"]["brand"]["id"] == "b-1"
    # 5: nothing listens there
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
    assert await asyncio.to_thread(main, ["status", "acme-sms"]) == 5
    assert set(cases) | {5} == set(documented)


async def test_status_without_a_worker_says_so_and_answers_quickly(dev_env, monkeypatch, capsys):
    ident = await unstarted(dev_env.client, "NEEDS_ACTION", memo={"warnings": [
        {"rule_id": "CAMPAIGN_PLACEHOLDER_TEXT", "field": "brand.displayName", "message": "m", "accepted": True}]})  # fmt: skip
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    began = asyncio.get_running_loop().time()
    assert await asyncio.to_thread(main, ["status", ident, "--query-timeout", "1"]) == 4
    assert asyncio.get_running_loop().time() - began < 10
    out = capsys.readouterr().out
    assert "no worker answered the status query within 1s" in out
    assert "accepted brand.displayName" in out and "CAMPAIGN_PLACEHOLDER_TEXT" in out
    assert re.search(rf"{ident}\s+NEEDS_ACTION", out)
