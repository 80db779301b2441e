"""Issue 6 end to end: the sandbox posts real signed webhooks to the relay, which signals the
workflow; polling is pushed so far out that only events can move the onboarding."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.stack import LocalStack
from tests.e2e.stack_helpers import activity_counts, charges_for, client_for, run_cli, stack_config, unique_request
from workflows.contract import FLOW, workflow_id_for
from workflows.state import OnboardingStatus

pytestmark = pytest.mark.e2e
NEVER = 10**7  # seconds: the fallback poll would come after the test's timeout


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    config = stack_config(
        tmp_path_factory.mktemp("stack"), poll_min_seconds=NEVER, poll_max_seconds=NEVER, sandbox_delay=0.2
    )
    with LocalStack(config) as running:
        yield running


async def onboard_on_events(stack: LocalStack, tmp_path: Path) -> tuple[OnboardingStatus, str]:
    path, request = unique_request(tmp_path)
    code, output = await run_cli(stack.config, "start", str(path), "--wait", "--interval", "0.2", timeout=90)
    assert code == 0, output
    client = await client_for(stack.config)
    handle = client.get_workflow_handle(workflow_id_for(request["onboarding_id"]))
    status = await handle.query("status", result_type=OnboardingStatus)
    return status, request["onboarding_id"]


def object_ids(status: OnboardingStatus) -> set[str]:
    o = status.objects
    return {x for x in (o.number.id, o.brand.id, o.vetting.id, o.campaign.id, o.connector.id) if x}


async def assert_done_once_each(stack: LocalStack, status: OnboardingStatus, onboarding_id: str) -> None:
    assert status.step == "DONE"
    assert status.events_applied >= 4  # brand, vetting, campaign, channel
    # every step once, in order
    assert [r.step for r in status.steps] == list(FLOW)
    counts = await activity_counts(await client_for(stack.config), onboarding_id)
    assert not [name for name in counts if name.startswith("poll_")], counts
    for create in ("buy_number", "create_brand", "create_vetting", "create_campaign", "install_connector"):
        assert counts[create] == 1, counts
    ledger = charges_for(stack.ledger(), object_ids(status))
    assert ledger == {"number": 1, "brand": 1, "vetting": 1, "campaign": 1, "connector": 1}


async def test_an_onboarding_reaches_done_on_events_alone(stack, tmp_path):
    status, onboarding_id = await onboard_on_events(stack, tmp_path)
    await assert_done_once_each(stack, status, onboarding_id)
    relay_log = (stack.home / "logs" / "relay.log").read_text()
    assert "outcome=signalled" in relay_log


async def test_duplicated_and_reordered_events_change_nothing(stack, tmp_path):
    stack.sandbox("faults", method="PUT", body={"seed": 11, "webhooks": {"duplicate": 0.6, "reorder": 0.5,
                                                                         "reorderHoldSeconds": 0.5}})  # fmt: skip
    try:
        status, onboarding_id = await onboard_on_events(stack, tmp_path)
    finally:
        stack.sandbox("faults", method="DELETE")
    await assert_done_once_each(stack, status, onboarding_id)
    assert "outcome=duplicate" in (stack.home / "logs" / "relay.log").read_text()
