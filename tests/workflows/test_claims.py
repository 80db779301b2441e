"""Stock-item claims with the worker as `tendlc worker` runs it (the real activities against the
sandbox, on the local dev server in real time): two onboardings that would choose the same stock
item end with two numbers, each bought once, neither refused as sold."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from temporalio.testing import ActivityEnvironment

from activities import onboarding_activities
from activities.claims import CLAIM_WORKFLOW, TemporalStockClaims, claim_id_for
from activities.numbers import ChooseNumberInput, NumberActivities
from sandbox.config import SandboxConfig
from tests.workflows.helpers import ORGANIZATION_ID, make_input, new_task_queue, onboarding_worker, start, status
from tests.workflows.sandbox_world import sandbox_world
from workflows.claims import StockItemClaim
from workflows.contract import Step
from workflows.inputs import PollSettings


def test_the_claim_workflow_is_registered_under_the_type_the_activity_starts():
    assert StockItemClaim.__temporal_workflow_definition.name == CLAIM_WORKFLOW  # type: ignore[attr-defined]


async def test_two_onboardings_that_would_choose_one_item_end_with_two_numbers(dev_env):
    # Real time, as the fleet test of fifty does: the time-skipping server, skipping ahead while two
    # onboardings' activities run, times some out, and their retries muddle what this test counts.
    client = dev_env.client
    calls: Counter[str] = Counter()
    config = SandboxConfig.instant(area_codes=["415"], numbers_per_area_code=2)
    observer = lambda operation, outcome: calls.update([operation])  # noqa: E731
    polls = PollSettings(min_seconds=1, max_seconds=2)  # the sandbox decides at once: the first poll sees it
    async with sandbox_world(config, observer=observer) as world:
        # two onboarding ids whose first choice, with nothing claimed, is the same item
        unclaimed = NumberActivities(world.bird)

        async def first_choice(key: str) -> str:
            arg = ChooseNumberInput(organization_id=ORGANIZATION_ID, prefix="+1415", spread_key=key)
            return (await ActivityEnvironment().run(unclaimed.choose_number, arg)).stock_item_id

        a_id = f"fleet-a-{uuid.uuid4().hex[:8]}"
        wanted = await first_choice(a_id)
        b_id = ""
        while not b_id:  # one in two keys, with two items in stock
            key = f"fleet-b-{uuid.uuid4().hex[:8]}"
            b_id = key if await first_choice(key) == wanted else ""
        calls.clear()

        queue = new_task_queue()
        activities = onboarding_activities(world.bird, TemporalStockClaims(client, queue))
        async with onboarding_worker(client, activities, queue):
            handles = await asyncio.gather(
                *(start(client, make_input(onboarding_id=o, poll=polls), queue) for o in (a_id, b_id))
            )
            results = await asyncio.gather(*(h.result() for h in handles))
            finals = [await status(h) for h in handles]
        ledger = await world.ledger_counts()

    assert [r.step for r in results] == [Step.DONE, Step.DONE]
    assert len({r.number_string for r in results}) == 2 and len({r.phone_number_id for r in results}) == 2
    assert calls["buy_numbers"] == 2 and calls["list_stock_items"] == 2  # nobody lost a race for an item
    assert [(f.blocked, [c.kind for c in f.charges if c.matched_existing]) for f in finals] == [(None, [])] * 2
    assert ledger["number"] == 2
    for onboarding_id, final in zip((a_id, b_id), finals, strict=True):
        claim = await client.get_workflow_handle(claim_id_for(final.objects.number.stock_item_id or "")).describe()
        assert (await claim.memo()) == {"owner": onboarding_id}
