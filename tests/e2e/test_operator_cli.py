"""A person's actions end to end on the local stack (real worker, relay and sandbox processes),
through the CLI: a declined campaign corrected with `tendlc resubmit-campaign` and approved, an
onboarding stopped with `tendlc cancel`, and the refusals in between."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from runtime.stack import LocalStack
from tests.e2e.stack_helpers import charges_for, client_for, run_cli, stack_config, unique_request
from workflows.contract import STEP, workflow_id_for

pytestmark = pytest.mark.e2e
REASON = "The samples do not say how to opt out"
FIXED = (
    "Acme Plumbing texts appointment confirmations and technician arrival windows to customers who ticked "
    "the SMS consent box when booking; every message says how to opt out."
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with LocalStack(stack_config(tmp_path_factory.mktemp("stack"), sandbox_delay=0.2)) as running:
        yield running


async def status_of(stack: LocalStack, onboarding_id: str) -> dict:
    code, output = await run_cli(stack.config, "status", onboarding_id, "--json")
    assert code in (0, 1, 4), output  # running or done, ended, NEEDS_ACTION (README.md's exit codes)
    return json.loads(output)


async def until_step(stack: LocalStack, onboarding_id: str, *steps: str, timeout: float = 90) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        current = await status_of(stack, onboarding_id)
        if current["step"] in steps:
            return current
        assert asyncio.get_running_loop().time() < deadline, current["step"]
        await asyncio.sleep(0.5)


async def until_closed(stack: LocalStack, onboarding_id: str, timeout: float = 60) -> dict:
    """The status once the run has closed: after DONE or CANCELLED the workflow still delivers its
    notification (workflows/notify.py) before it completes."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        current = await status_of(stack, onboarding_id)
        if current["execution"] != "RUNNING":
            return current
        assert asyncio.get_running_loop().time() < deadline, current["execution"]
        await asyncio.sleep(0.5)


def changes_file(tmp_path: Path, name: str, changes: dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(changes))
    return str(path)


async def test_a_declined_campaign_is_resubmitted_from_the_cli_and_reaches_done(stack, tmp_path):
    path, request = unique_request(tmp_path)
    ident = request["onboarding_id"]
    stack.sandbox("scenario/overrides", method="POST", body={
        "kind": "campaign", "match": {"name": request["campaign"]["name"]}, "count": 1,
        "reviews": [{"outcome": "decline", "reason": {"description": REASON, "code": "C-9"}}, {"outcome": "approve"}],
    })  # fmt: skip
    code, output = await run_cli(stack.config, "start", str(path), "--wait", "--interval", "0.2")
    assert code == 4 and REASON in output, output  # NEEDS_ACTION, saying why
    declined = await status_of(stack, ident)
    assert declined["objects"]["campaign"]["status"] == "DECLINED"
    campaign_id = declined["objects"]["campaign"]["id"]

    # refused before anything is sent: every bad field named
    bad = changes_file(tmp_path, "bad.json", {"description": "too short", "notAField": 1})
    code, output = await run_cli(stack.config, "resubmit-campaign", ident, "--file", bad)
    assert code == 2 and "description:" in output and "notAField:" in output, output
    # refused by the onboarding's validator: the brand is not what stopped it
    brand = changes_file(tmp_path, "brand.json", {"website": "https://acmeplumbing.example.com"})
    code, output = await run_cli(stack.config, "resubmit-brand", ident, "--file", brand)
    assert code == 2 and "refused: no brand to resubmit" in output, output

    fixed = changes_file(tmp_path, "fixed.json", {"description": FIXED})
    code, output = await run_cli(stack.config, "resubmit-campaign", ident, "--file", fixed)
    assert code == 0, output
    assert f"accepted: campaign {campaign_id} corrected (description) and resubmitted" in output
    assert "step: AWAIT_CAMPAIGN" in output

    await until_step(stack, ident, "DONE", "NEEDS_ACTION")
    done = await until_closed(stack, ident)
    assert done["step"] == "DONE" and done["execution"] == "COMPLETED"
    assert done["objects"]["campaign"]["id"] == campaign_id and done["objects"]["campaign"]["status"] == "APPROVED"
    assert [a["action"] for a in done["detail"]["actions"]] == ["resubmit_campaign"]
    stored = next(c for c in stack.sandbox("objects")["campaigns"] if c["id"] == campaign_id)
    assert stored["description"] == FIXED
    assert charges_for(stack.ledger(), {campaign_id}) == {"campaign": 1}  # resubmitted, not billed again

    code, output = await run_cli(stack.config, "status", ident)
    assert "resubmit_campaign" in output and "actions" in output


async def test_cancel_from_the_cli_ends_the_onboarding_and_lists_what_stays_billed(stack, tmp_path):
    path, request = unique_request(tmp_path)
    ident = request["onboarding_id"]
    stack.sandbox("scenario/overrides", method="POST", body={
        "kind": "brand", "match": {"displayName": request["brand"]["displayName"]}, "count": 1,
        "reviews": {"outcome": "hold"},
    })  # fmt: skip
    code, output = await run_cli(stack.config, "start", str(path))
    assert code == 0, output
    waiting = await until_step(stack, ident, "AWAIT_BRAND")
    assert waiting["detail"]["waiting"]["deadline_at"]  # the brand wait's deadline, shown in the status

    code, output = await run_cli(stack.config, "cancel", ident, "--reason", "customer withdrew")
    assert code == 0, output
    assert "accepted: cancelled: customer withdrew" in output and "step: CANCELLED" in output
    assert "still billed" in output and "number subscription" in output and "brand registration fee" in output

    cancelled = await until_closed(stack, ident)
    assert cancelled["step"] == "CANCELLED" and cancelled["execution"] == "COMPLETED"
    client = await client_for(stack.config)
    description = await client.get_workflow_handle(workflow_id_for(ident)).describe()
    assert description.typed_search_attributes.get(STEP) == "CANCELLED"
    code, output = await run_cli(stack.config, "list", "--step", "CANCELLED", "--json")
    assert ident in [row["onboarding_id"] for row in json.loads(output)["onboardings"]]

    code, output = await run_cli(stack.config, "cancel", ident, "--reason", "again")
    assert code == 2 and "has ended" in output, output


async def test_an_unknown_onboarding_is_exit_3(stack, tmp_path):
    changes = changes_file(tmp_path, "c.json", {"description": FIXED})
    for args in (
        ("resubmit-campaign", "no-such-onboarding", "--file", changes),
        ("cancel", "no-such-onboarding", "--reason", "x"),
        ("extend-deadline", "no-such-onboarding", "--days", "3"),
    ):
        code, output = await run_cli(stack.config, *args)
        assert code == 3 and "no onboarding 'no-such-onboarding'" in output, (args, output)
