"""Issue 5 end to end on the local stack (dev server, sandbox, relay, worker as real processes):
the worker is SIGKILLed in the middle of steps and restarted; Bird commits creates and then fails
the answer, rate-limits and errors, or every webhook is lost. Every onboarding still reaches DONE,
the sandbox's ledger shows one charge of each kind, and the access key is in no history.

The default suite kills the worker once per onboarding and runs one onboarding per kind of trouble;
the `slow` variants kill it in the middle of every step, under each kind of trouble.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.service import RPCError

from runtime.stack import LocalStack
from tests.e2e.stack_helpers import charges_for, client_for, run_cli, stack_config, unique_request
from tests.workflows.helpers import readable_history
from workflows.contract import Step, workflow_id_for
from workflows.onboarding import OnboardingWorkflow
from workflows.state import OnboardingStatus

pytestmark = pytest.mark.e2e

CREATES = ("buy_numbers", "create_brand", "create_vetting", "create_campaign", "create_connector")
ONE_OF_EACH = {"number": 1, "brand": 1, "vetting": 1, "campaign": 1, "connector": 1}
HOLD = [{"outcome": "hold"}]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    config = stack_config(
        tmp_path_factory.mktemp("stack"),
        sandbox_delay=0.2,
        poll_min_seconds=0.5,
        poll_max_seconds=2,
        # a killed worker's workflows move to the restarted one after 2 s instead of 10
        extra_env={"TENDLC_STICKY_SCHEDULE_TO_START_SECONDS": "2"},
    )
    with LocalStack(config) as running:
        yield running


@pytest.fixture
def sandbox(stack):
    """The sandbox as each test leaves it is no concern of the next: faults and scenario restored."""
    yield stack
    stack.sandbox("faults", method="DELETE")
    stack.sandbox("scenario", method="PUT", body={})


async def start(stack: LocalStack, tmp_path: Path, example_overrides: dict[str, Any] | None = None) -> str:
    path, request = unique_request(tmp_path, **(example_overrides or {}))
    code, output = await run_cli(stack.config, "start", str(path))
    assert code == 0, output
    return request["onboarding_id"]


async def status_of(client: Client, onboarding_id: str) -> OnboardingStatus | None:
    """The status, or None while no worker answers queries (it was just killed)."""
    try:
        return await client.get_workflow_handle(workflow_id_for(onboarding_id)).query(
            OnboardingWorkflow.status, rpc_timeout=_seconds(5)
        )
    except RPCError:
        return None


def _seconds(n: float):
    from datetime import timedelta

    return timedelta(seconds=n)


async def until(check: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def request_counts(stack: LocalStack) -> dict[str, int]:
    return stack.sandbox("requests")["requests"]


async def kill_worker_during_request(stack: LocalStack, operation: str, before: dict[str, int]) -> None:
    """SIGKILL the worker while Bird (the sandbox, slowed by a latency fault) is handling the first
    `operation` since `before` was counted: the request commits after the worker is gone, and its
    answer is lost."""
    await until(
        lambda: request_counts(stack).get(operation, 0) > before.get(operation, 0),
        timeout=60,
        what=f"a {operation} request",
    )
    stack.kill_worker()
    stack.start_worker()


async def kill_worker_at_step(
    stack: LocalStack, client: Client, onboarding_id: str, step: Step, kind: str
) -> OnboardingStatus:
    """SIGKILL the worker once the onboarding waits at `step` for Bird's decision on `kind`."""

    async def at_step() -> OnboardingStatus | None:
        status = await status_of(client, onboarding_id)
        waiting = status is not None and status.step == step and status.objects.get(kind).id is not None
        return status if waiting else None

    status = await until(at_step, timeout=60, what=f"{onboarding_id} at {step}")
    stack.kill_worker()
    return status


async def assert_done_and_charged_once(stack: LocalStack, client: Client, onboarding_id: str, *, vetting: bool = True):
    status = await until(
        lambda: _done(client, onboarding_id), timeout=120, what=f"{onboarding_id} to reach DONE"
    )
    o = status.objects
    ids = {x for x in (o.number.id, o.brand.id, o.vetting.id, o.campaign.id, o.connector.id) if x}
    expected = dict(ONE_OF_EACH) if vetting else {k: v for k, v in ONE_OF_EACH.items() if k != "vetting"}
    assert charges_for(stack.ledger(), ids) == expected
    assert sorted(c.kind for c in status.charges) == sorted(expected)
    await assert_no_access_key(client, onboarding_id, stack.config.access_key)
    return status


async def _done(client: Client, onboarding_id: str) -> OnboardingStatus | None:
    status = await status_of(client, onboarding_id)
    if status is not None:
        assert status.step not in (Step.NEEDS_ACTION, Step.FAILED), (status.blocked, status.last_error)
    return status if status is not None and status.step == Step.DONE else None


async def assert_no_access_key(client: Client, onboarding_id: str, access_key: str) -> None:
    handle = client.get_workflow_handle(workflow_id_for(onboarding_id))
    run_id: str | None = (await handle.describe()).run_id
    # every run of the chain, newest first
    while run_id:
        history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        assert access_key not in readable_history(history)
        first = history.events[0].workflow_execution_started_event_attributes
        run_id = first.continued_execution_run_id or None


# -- the default suite: one representative of each ---------------------------------------------


async def test_worker_killed_mid_create_and_mid_wait_still_done_charged_once(sandbox, tmp_path):
    stack = sandbox
    client = await client_for(stack.config)
    stack.sandbox("faults", method="PUT", body={"routes": {"create_campaign": {"latency": 2.0}}})
    stack.sandbox("scenario", method="PUT", body={"brand": HOLD})
    before = request_counts(stack)
    onboarding_id = await start(stack, tmp_path)

    waiting = await kill_worker_at_step(stack, client, onboarding_id, Step.AWAIT_BRAND, "brand")
    stack.sandbox(f"objects/brand/{waiting.objects.brand.id}/review", method="POST", body={"outcome": "approve"})
    stack.start_worker()
    await kill_worker_during_request(stack, "create_campaign", before)

    status = await assert_done_and_charged_once(stack, client, onboarding_id)
    assert status.events_applied > 0  # the relay's events reached it too


async def test_commit_then_fail_on_every_create_with_429_and_5xx_storms(sandbox, tmp_path):
    stack = sandbox
    client = await client_for(stack.config)
    routes: dict[str, Any] = {op: {"sequence": ["commit-then-500"]} for op in CREATES}
    routes["create_connector"] = {"sequence": ["commit-then-drop"]}
    routes["*"] = {"rates": {"429": 0.1, "503": 0.1}, "retryAfter": 1}
    stack.sandbox("faults", method="PUT", body={"seed": 5, "routes": routes})
    onboarding_id = await start(stack, tmp_path)

    status = await assert_done_and_charged_once(stack, client, onboarding_id)
    assert {c.kind for c in status.charges if c.matched_existing} == set(ONE_OF_EACH)


async def test_every_webhook_dropped_polling_alone_finishes(sandbox, tmp_path):
    stack = sandbox
    client = await client_for(stack.config)
    stack.sandbox("faults", method="PUT", body={"webhooks": {"drop": 1.0}})
    onboarding_id = await start(stack, tmp_path, {"vetting": None})

    status = await assert_done_and_charged_once(stack, client, onboarding_id, vetting=False)
    assert status.events_received == 0


# -- slow: the worker killed in the middle of every step, under each kind of trouble ------------

TROUBLE: dict[str, dict[str, Any]] = {
    "plain": {},
    "commit-then-fail": {"routes": {op: {"sequence": ["commit-then-502"]} for op in CREATES}},
    "storms": {"seed": 9, "routes": {"*": {"rates": {"429": 0.25, "502": 0.15, "drop": 0.05}, "retryAfter": 1}}},
    "webhooks-dropped": {"webhooks": {"drop": 1.0}},
}


@pytest.mark.slow
@pytest.mark.parametrize("trouble", list(TROUBLE))
async def test_worker_killed_in_the_middle_of_every_step(sandbox, tmp_path, trouble):
    stack = sandbox
    client = await client_for(stack.config)
    faults = TROUBLE[trouble]
    routes = {**faults.get("routes", {})}
    for op in CREATES:  # slow enough that the kill lands while Bird is handling the create
        routes[op] = {**routes.get(op, {}), "latency": 3.0}
    stack.sandbox("faults", method="PUT", body={**faults, "routes": routes})
    stack.sandbox("scenario", method="PUT", body={"brand": HOLD, "vetting": HOLD, "campaign": HOLD, "connector": HOLD})
    before = request_counts(stack)
    onboarding_id = await start(stack, tmp_path)

    creates_and_waits = [
        ("buy_numbers", None), ("create_brand", None), (None, ("brand", Step.AWAIT_BRAND)),
        ("create_vetting", None), (None, ("vetting", Step.VETTING)), ("create_campaign", None),
        (None, ("campaign", Step.AWAIT_CAMPAIGN)), ("create_connector", None), (None, ("connector", Step.AWAIT_READY)),
    ]  # fmt: skip
    for operation, wait in creates_and_waits:
        if operation is not None:
            await kill_worker_during_request(stack, operation, before)
            continue
        kind, step = wait
        status = await kill_worker_at_step(stack, client, onboarding_id, step, kind)
        stack.sandbox(f"objects/{kind}/{status.objects.get(kind).id}/review", method="POST", body={"outcome": "approve"})
        stack.start_worker()

    status = await assert_done_and_charged_once(stack, client, onboarding_id)
    if trouble == "webhooks-dropped":
        assert status.events_received == 0
