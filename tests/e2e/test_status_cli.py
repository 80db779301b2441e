"""`tendlc status` and `tendlc list` against a live stack: one onboarding done, one rejected."""

from __future__ import annotations

import json

import pytest

from runtime.stack import LocalStack
from tests.e2e.stack_helpers import run_cli, stack_config, unique_request

pytestmark = pytest.mark.e2e
REASON = "EIN does not match the legal company name"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with LocalStack(stack_config(tmp_path_factory.mktemp("stack"), sandbox_delay=0.2)) as running:
        yield running


@pytest.fixture(scope="module")
async def onboardings(stack, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("requests")
    done_path, done = unique_request(tmp)
    code, output = await run_cli(stack.config, "start", str(done_path), "--wait", "--interval", "0.2")
    assert code == 0, output
    rejected_path, rejected = unique_request(tmp)
    stack.sandbox("scenario/overrides", method="POST", body={
        "kind": "brand", "match": {"displayName": rejected["brand"]["displayName"]}, "count": 1,
        "reviews": {"outcome": "reject", "reason": {"description": REASON, "code": "B-7"}},
    })  # fmt: skip
    code, output = await run_cli(stack.config, "start", str(rejected_path), "--wait", "--interval", "0.2")
    assert code == 4, output  # NEEDS_ACTION
    return done["onboarding_id"], rejected["onboarding_id"]


async def test_status_shows_timeline_objects_and_charges(stack, onboardings):
    done, _ = onboardings
    code, output = await run_cli(stack.config, "status", done)
    assert code == 0, output
    assert f"{done}  DONE" in output
    for text in ("AWAIT_CAMPAIGN", "Bird objects", "APPROVED", "number subscription", "charges", "/workflows/onboarding-"):
        assert text in output


async def test_status_of_a_rejection_says_why(stack, onboardings):
    _, rejected = onboardings
    code, output = await run_cli(stack.config, "status", f"onboarding-{rejected}")
    assert code == 4, output  # NEEDS_ACTION
    assert "NEEDS_ACTION" in output and "needs a person" in output and REASON in output
    code, output = await run_cli(stack.config, "status", rejected, "--json")
    data = json.loads(output)
    assert data["step"] == "NEEDS_ACTION" and data["execution"] == "RUNNING"
    assert data["objects"]["brand"]["status"] == "REJECTED"
    assert data["objects"]["brand"]["reason"] == f"{REASON} (code B-7)"


async def test_status_of_an_unknown_onboarding(stack):
    code, output = await run_cli(stack.config, "status", "no-such-onboarding")
    assert code == 3 and "no onboarding 'no-such-onboarding'" in output


async def test_list_filters_by_step(stack, onboardings):
    done, rejected = onboardings
    code, output = await run_cli(stack.config, "list", "--json")
    rows = {r["onboarding_id"]: r for r in json.loads(output)["onboardings"]}
    assert rows[done]["step"] == "DONE" and rows[done]["execution"] == "COMPLETED"
    assert rows[rejected]["step"] == "NEEDS_ACTION" and rows[rejected]["objects"]["brand"]["id"]
    code, output = await run_cli(stack.config, "list", "--needs-action", "--json")
    assert [r["onboarding_id"] for r in json.loads(output)["onboardings"]] == [rejected]
    code, output = await run_cli(stack.config, "list", "--step", "DONE")
    assert code == 0 and done in output and rejected not in output
    code, output = await run_cli(stack.config, "list", "--step", "done")
    assert code == 0 and done in output and rejected not in output
    code, output = await run_cli(stack.config, "list", "--step", "NOT_A_STEP")
    assert code == 2 and "invalid step 'NOT_A_STEP'; valid steps: BUY_NUMBER," in output
