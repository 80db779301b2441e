"""Stock-item claims against a real Temporal dev server: two onboardings choosing at once from a
one-page stock get different items, the same onboarding choosing twice gets the same item, each
choice costs one or two calls to Temporal, and no operator listing shows a claim."""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.client import (
    Client,
    DescribeWorkflowInput,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    WorkflowHandle,
)
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.claims import CLAIM_ID_PREFIX, CLAIM_WORKFLOW, TemporalStockClaims, claim_id_for
from activities.errors import NO_NUMBER_IN_STOCK
from bird.events import EventRef, ObjectKind
from relay.routing import routing_query
from starter.batch import batch_steps
from starter.listing import every_page, query_for
from tests.activities.test_claims import Stock, choose, first_pick, key_preferring, run, stock_of
from workflows.claims import StockItemClaim
from workflows.contract import STEP, Step


class CountingCalls(Interceptor):
    """Counts the client's calls to Temporal that a claim makes (each is one RPC)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Counting(next, self.calls)


class _Counting(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, calls: Counter[str]) -> None:
        super().__init__(next)
        self._calls = calls

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        self._calls["start_workflow"] += 1
        return await super().start_workflow(input)

    async def describe_workflow(self, input: DescribeWorkflowInput) -> Any:
        self._calls["describe_workflow"] += 1
        return await super().describe_workflow(input)


@pytest.fixture
async def two_items() -> AsyncIterator[Stock]:
    async for stock in stock_of(2):
        yield stock


def counting_client(client: Client) -> tuple[Client, Counter[str]]:
    counter = CountingCalls()
    return Client(**{**client.config(), "interceptors": [counter]}), counter.calls


async def test_two_owners_choosing_at_once_get_different_items_and_one_owner_twice_the_same(dev_env, two_items):
    client, calls = counting_client(dev_env.client)
    queue = f"claims-{uuid.uuid4()}"
    a_key = f"fleet-a-{uuid.uuid4().hex[:8]}"
    wanted = (await first_pick(two_items, a_key)).stock_item_id
    b_key = await key_preferring(two_items, wanted, f"fleet-b-{uuid.uuid4().hex[:8]}")  # both prefer one item
    numbers = two_items.numbers(TemporalStockClaims(client, queue))
    async with Worker(dev_env.client, task_queue=queue, workflows=[StockItemClaim]):
        a, b = await asyncio.gather(
            run(numbers.choose_number, choose(a_key)), run(numbers.choose_number, choose(b_key))
        )
        assert a.stock_item_id != b.stock_item_id
        assert calls == {"start_workflow": 3, "describe_workflow": 1}  # the loser: refused, told whose, then the other item
        assert wanted in (a.stock_item_id, b.stock_item_id)

        # a claim that has run and closed still holds the item
        for choice in (a, b):
            await dev_env.client.get_workflow_handle(claim_id_for(choice.stock_item_id)).result()
        (winner, won), (loser, lost) = sorted([(a_key, a), (b_key, b)], key=lambda o: o[1].stock_item_id != wanted)
        calls.clear()
        assert await run(numbers.choose_number, choose(winner), attempt=2) == won
        assert calls == {"start_workflow": 1, "describe_workflow": 1}  # refused, then found to be ours
        calls.clear()
        assert await run(numbers.choose_number, choose(loser), attempt=2) == lost
        assert calls == {"start_workflow": 2, "describe_workflow": 2}  # the winner's passed over, then ours

        with pytest.raises(ApplicationError) as caught:
            await run(numbers.choose_number, choose(f"fleet-c-{uuid.uuid4().hex[:8]}"))
        assert caught.value.type == NO_NUMBER_IN_STOCK  # both items claimed: none left to choose

    claim = await dev_env.client.get_workflow_handle(claim_id_for(a.stock_item_id)).describe()
    assert claim.workflow_type == CLAIM_WORKFLOW and (await claim.memo()) == {"owner": a_key}


async def test_a_free_item_costs_one_call_to_temporal(dev_env, two_items):
    client, calls = counting_client(dev_env.client)
    numbers = two_items.numbers(TemporalStockClaims(client, f"claims-{uuid.uuid4()}"))
    await run(numbers.choose_number, choose(f"fleet-a-{uuid.uuid4().hex[:8]}"))
    assert calls == {"start_workflow": 1}


async def test_no_operator_listing_shows_a_claim(dev_env, two_items):
    owner = f"fleet-a-{uuid.uuid4().hex[:8]}"
    # no worker on the claims' queue: the claim stays open, as one does until a worker runs it
    numbers = two_items.numbers(TemporalStockClaims(dev_env.client, f"claims-{uuid.uuid4()}"))
    item = (await run(numbers.choose_number, choose(owner))).stock_item_id
    claim_query = f"WorkflowType = '{CLAIM_WORKFLOW}' AND WorkflowId = '{claim_id_for(item)}'"
    for _ in range(100):  # visibility catches up within moments
        if [wf async for wf in dev_env.client.list_workflows(claim_query)]:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the claim never showed in visibility")

    def args(**flags: Any) -> argparse.Namespace:
        return argparse.Namespace(**{"step": None, "needs_action": False, "open": False, "prefix": None, **flags})

    listed: list[str] = []
    for flags in ({}, {"open": True}, {"step": Step.BUY_NUMBER}, {"prefix": ""}):  # tendlc list / costs
        listed += [row["workflow_id"] async for page in every_page(dev_env.client, query_for(args(**flags))) for row in page]
    relay = routing_query(EventRef(kind=ObjectKind.BRAND, object_id=item, status="APPROVED"))
    metrics = f"{STEP.name} = '{Step.BUY_NUMBER.value}' AND ExecutionStatus = 'Running'"  # worker/metrics.py
    for query in (relay, metrics):
        assert query is not None
        listed += [wf.id async for wf in dev_env.client.list_workflows(query)]
    assert not [wf for wf in listed if wf.startswith(CLAIM_ID_PREFIX)]
    assert await batch_steps(dev_env.client, [owner, item]) == {}  # a batch re-run finds no onboarding
