"""Many onboardings in one workspace (the real activities against the sandbox in-process, on the
time-skipping server): each ends with its own number, adopts nothing of another's, costs the same
Bird calls however full the workspace is, and a new run of a terminated one buys nothing again."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio import activity

from activities import onboarding_activities
from activities.claims import TemporalStockClaims
from activities.numbers import ChooseNumberInput, NumberActivities, NumberChoice
from bench.figures import MINIMUM_CALLS
from bird.models import BrandCreate, BuyNumbersRequest, CampaignCreate, StockItemQuery
from sandbox.config import SandboxConfig
from sandbox.faults import Faults
from sandbox.wire import iso
from starter.start import EXIT_UNAVAILABLE, start as start_from_cli
from tests.workflows.helpers import (
    EXAMPLES,
    make_input,
    new_task_queue,
    onboarding_worker,
    properties_modified,
    record_history,
    start,
    status,
)
from tests.workflows.sandbox_world import World, sandbox_world
from workflows.contract import Step, bird_task_queue_for
from workflows.inputs import PollSettings
from workflows.memo import MEMO_KEY
from workflows.messages import CancelOnboarding
from workflows.onboarding import OnboardingWorkflow

EXAMPLE = json.loads((EXAMPLES / "onboarding.json").read_text())
FAST_POLLS = PollSettings(min_seconds=60, max_seconds=600)

# The Bird calls an onboarding's own activities make when nothing goes wrong, 11, the bench's
# minimum (bench/figures.py's MINIMUM_CALLS): list the stock once, buy, create brand, vetting,
# campaign and connector (6), one GET confirming each approval an event announced (brand, vetting,
# campaign: 3), the readiness read, and one read of the connector for its channel id (the sandbox
# here links a connector at once, before the channel's event can bring the id).
# The channel's event is withheld here (the sink acknowledges it and signals nothing): delivered
# before the readiness wait begins, it would spare the readiness read, and which comes first is a
# race between the sandbox's delivery and the workflow.
WORKFLOW_MINIMUM = Counter(MINIMUM_CALLS)
WORKFLOW_CALLS = 11

async def crowd(world: World, count: int) -> None:
    """`count` numbers, brands, campaigns and connectors already in the workspace, every one with the
    example's own content (another customer onboarded from the same file an hour ago)."""
    sandbox = world.app.state.sandbox
    ws, org = sandbox.config.workspace_id, sandbox.config.organization_id
    bird = world.bird
    stock = [i async for i in _first_items(world, org)]
    number = (await bird.buy_numbers(ws, BuyNumbersRequest(number_stock_item_ids=[stock[0].id])))[0]
    brand = await bird.create_brand(ws, BrandCreate.model_validate(EXAMPLE["brand"]))
    await world.review("brand", brand.id, "approve")
    campaign = await bird.create_campaign(ws, brand.id, CampaignCreate.model_validate(EXAMPLE["campaign"]))
    state = sandbox.state
    an_hour_ago = iso((datetime.now(UTC) - timedelta(hours=1)).timestamp())
    templates = {
        "numbers": state.numbers[number.id],
        "brands": state.brands[brand.id],
        "campaigns": state.campaigns[campaign.id],
    }
    for name, template in templates.items():
        table = getattr(state, name)
        table.clear()
        for i in range(count):
            clone = json.loads(json.dumps(template))
            clone.update(id=str(uuid.uuid4()), createdAt=an_hour_ago, updatedAt=an_hour_ago)
            if name == "numbers":
                clone["numberString"] = f"+1999555{i:04d}"  # not in stock: nobody can buy these again
            table[clone["id"]] = clone
    number_ids = list(state.numbers)
    for i in range(count):
        connector_id = str(uuid.uuid4())
        state.connectors[connector_id] = {
            "id": connector_id,
            "name": EXAMPLE["connector"]["name"],
            "connectorTemplateRef": "sms-messagebird:1",
            "arguments": {"phoneNumberId": number_ids[i], "useCaseId": campaign.id, "channelMessageType": "transactional"},
            "createdAt": an_hour_ago,
            "updatedAt": an_hour_ago,
        }


async def _first_items(world: World, org: str):
    query = StockItemQuery(country_codes=["US"], types=["local"], features=["sms-outbound"], prefix="+1415")
    async for page in world.bird.stock_item_pages(org, query):
        for item in page:
            yield item
        return


async def _calls_per_onboarding(ts_env: Any, objects: int, onboardings: int = 2) -> list[Counter[str]]:
    calls: Counter[str] = Counter()
    config = SandboxConfig.instant(numbers_per_area_code=100)
    observer = lambda operation, outcome: calls.update([operation])  # noqa: E731
    async with sandbox_world(config, webhooks=True, clock=ts_env.get_current_time, observer=observer) as world:
        await crowd(world, objects)
        each: list[Counter[str]] = []
        queue = new_task_queue()  # with stock-item claims, as `tendlc worker` runs: they cost no Bird call
        activities = onboarding_activities(world.bird, TemporalStockClaims(ts_env.client, queue))
        async with onboarding_worker(ts_env.client, activities, queue):
            for _ in range(onboardings):
                calls.clear()
                handle = await start(ts_env.client, make_input(poll=FAST_POLLS), queue)
                world.sink.handle, world.sink.withheld = handle, {"channel.updated"}
                result = await handle.result()
                assert result.step == Step.DONE
                each.append(Counter(calls))
    return each


async def test_bird_calls_per_onboarding_are_the_same_at_10_and_1000_objects_and_the_minimum(ts_env):
    small = await _calls_per_onboarding(ts_env, 10)
    large = await _calls_per_onboarding(ts_env, 1000)
    assert sum(WORKFLOW_MINIMUM.values()) == WORKFLOW_CALLS
    for counts in small + large:  # the same calls at both sizes: nothing grew with the workspace
        assert counts == WORKFLOW_MINIMUM, counts


@pytest.mark.slow
async def test_fifty_onboardings_from_one_file_each_get_their_own_number_and_adopt_nothing_of_anothers(dev_env):
    # The local dev server, in real time (the time-skipping server does not serve 50 waiting
    # clients at once): polls every second or two stand in for the relay's events.
    config = SandboxConfig.instant(numbers_per_area_code=100)
    polls = PollSettings(min_seconds=1, max_seconds=2)
    async with sandbox_world(config) as world:
        async with onboarding_worker(dev_env.client, onboarding_activities(world.bird)) as queue:
            inputs = [make_input(poll=polls) for _ in range(50)]  # only the id differs
            handles = await asyncio.gather(*(start(dev_env.client, i, queue) for i in inputs))
            results = await asyncio.gather(*(h.result() for h in handles))

            assert [r.step for r in results] == [Step.DONE] * 50
            assert len({r.phone_number_id for r in results}) == 50
            assert len({r.number_string for r in results}) == 50
            for kind in ("brand_id", "campaign_id", "connector_id"):
                assert len({getattr(r, kind) for r in results}) == 50, kind
            assert not any(c.matched_existing for r in results for c in r.charges)
            assert await world.ledger_counts() == {k: 50 for k in ("number", "brand", "vetting", "campaign", "connector")}
            theirs = {getattr(r, f) for r in results for f in ("phone_number_id", "brand_id", "vetting_id", "campaign_id", "connector_id")}

            # a 51st, from the same file, whose every create commits and then loses its answer (so
            # each retry looks among the 50 same-content objects), parked awaiting its campaign
            faults = {name: {"sequence": ["commit-then-drop"]} for name in ("buy_numbers", "create_brand", "create_vetting", "create_campaign")}
            await world.put("faults", Faults(routes=faults).model_dump(mode="json", by_alias=True, exclude_none=True))
            await world.put("scenario", {"campaign": [{"outcome": "hold"}]})
            late = await start(dev_env.client, make_input(poll=polls), queue)
            for _ in range(300):
                if (await status(late)).step == Step.AWAIT_CAMPAIGN:
                    break
                await asyncio.sleep(0.2)
            assert (await status(late)).step == Step.AWAIT_CAMPAIGN, (await status(late)).model_dump_json(indent=1)
            cancelled = await late.execute_update(OnboardingWorkflow.cancel, CancelOnboarding(reason="changed their mind"))
            await late.result()
        ledger = await world.ledger_counts()

    listed = {item.object_id for item in cancelled.still_billed}
    assert len(listed) == 4 and not listed & theirs  # its own number, brand, vetting and campaign only
    assert ledger == {"number": 51, "brand": 51, "vetting": 51, "campaign": 51, "connector": 50}


async def test_a_stock_item_sold_in_between_is_replaced_by_the_next_choice(ts_env):
    config = SandboxConfig.instant(numbers_per_area_code=100)
    async with sandbox_world(config, clock=ts_env.get_current_time) as world:
        ws = world.app.state.sandbox.config.workspace_id
        real = NumberActivities(world.bird)
        sold: list[str] = []

        @activity.defn(name="choose_number")
        async def choose_then_lose_the_race(req: ChooseNumberInput) -> NumberChoice:
            """The real choice; then, the first time, another customer buys that item first."""
            choice = await real.choose_number(req)
            if not sold:
                await world.bird.buy_numbers(ws, BuyNumbersRequest(number_stock_item_ids=[choice.stock_item_id]))
                sold.append(choice.stock_item_id)
            return choice

        activities = [a for a in onboarding_activities(world.bird) if a.__name__ != "choose_number"]
        async with onboarding_worker(ts_env.client, [*activities, choose_then_lose_the_race]) as queue:
            handle = await start(ts_env.client, make_input(poll=FAST_POLLS), queue)
            result = await handle.result()
            await record_history(handle, "fleet-stock-item-sold")
            final = await status(handle)
        numbers = await world.bird.list_numbers(ws)
        ledger = await world.ledger_counts()

    assert result.step == Step.DONE and final.blocked is None
    theirs = next(n for n in numbers if n.id != result.phone_number_id)
    assert len(numbers) == 2 and theirs.number_string != result.number_string
    assert [c.kind for c in final.charges].count("number") == 1
    assert ledger == {"number": 2, "brand": 1, "vetting": 1, "campaign": 1, "connector": 1}


async def test_a_prefix_with_no_stock_stops_in_needs_action_naming_the_field(ts_env):
    async with sandbox_world(clock=ts_env.get_current_time) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input(number={"country_code": "US", "prefix": "+1999"}), queue)
            while (await status(handle)).step != Step.NEEDS_ACTION:
                await asyncio.sleep(0.05)
            blocked = (await status(handle)).blocked
            await handle.terminate()
        ledger = await world.ledger_counts()
    assert blocked is not None and blocked.step == Step.BUY_NUMBER
    assert (blocked.kind, blocked.field) == ("number", "number.prefix")
    assert ledger == {}


async def test_terminated_then_started_again_buys_nothing_again_and_shows_the_number(ts_env):
    config = SandboxConfig.instant(scenario={"brand": [{"outcome": "hold"}]})
    async with sandbox_world(config, clock=ts_env.get_current_time) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            input = make_input(poll=FAST_POLLS)
            code, first = await start_from_cli(ts_env.client, input, task_queue=queue, out=io.StringIO())
            assert code == 0 and first is not None
            while (await status(first)).step != Step.AWAIT_BRAND:
                await asyncio.sleep(0.05)
            before = await status(first)
            await record_history(first, "fleet-memo-before-terminate")
            await first.terminate(reason="operator stopped the worker's onboarding by mistake")
            # generation 4 keeps no memo: the new run's starter asks the terminated run (`recorded`)
            assert MEMO_KEY not in await (await first.describe()).memo()
            assert not properties_modified(await first.fetch_history())

            out = io.StringIO()
            code, second = await start_from_cli(ts_env.client, input, task_queue=queue, out=out)
            assert code == 0 and second is not None
            assert "starts from what it recorded" in out.getvalue()
            await world.review("brand", before.objects.brand.id, "approve")
            result = await second.result()
            await record_history(second, "fleet-started-again-from-memo")
            after = await status(second)
        ledger = await world.ledger_counts()

    assert result.step == Step.DONE
    assert ledger == {"number": 1, "brand": 1, "vetting": 1, "campaign": 1, "connector": 1}
    assert after.objects.number.id == before.objects.number.id == result.phone_number_id
    assert after.objects.brand.id == before.objects.brand.id
    earlier = {c.kind for c in after.charges if c.earlier_run}
    assert earlier == {"number", "brand"}
    assert {c.kind for c in after.charges if not c.earlier_run} == {"vetting", "campaign", "connector"}


async def test_terminated_while_awaiting_readiness_the_new_run_finds_the_connector_by_listing(ts_env):
    # What the run recorded holds no connector id (workflows/memo.py): only that its install was
    # scheduled, and when.
    config = SandboxConfig.instant(scenario={"connector": [{"outcome": "hold"}]})
    async with sandbox_world(config, webhooks=True, clock=ts_env.get_current_time) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            input = make_input(poll=FAST_POLLS)
            code, first = await start_from_cli(ts_env.client, input, task_queue=queue, out=io.StringIO())
            assert code == 0 and first is not None
            world.sink.handle = first
            while (await status(first)).step != Step.AWAIT_READY:
                await asyncio.sleep(0.05)
            before = await status(first)
            await first.terminate(reason="operator stopped the worker's onboarding by mistake")
            recorded = await first.query(OnboardingWorkflow.recorded)  # what `tendlc start` reads
            # carriers link the number meanwhile: the new run's first look finds it ready
            await world.review("connector", before.objects.connector.id, "approve")

            code, second = await start_from_cli(ts_env.client, input, task_queue=queue, out=io.StringIO())
            assert code == 0 and second is not None
            world.sink.handle = second
            result = await second.result()
            after = await status(second)
        ledger = await world.ledger_counts()

    assert "connector" not in recorded.ids and "connector" in recorded.scheduled
    assert "connector" not in {c.kind for c in recorded.charges}
    assert result.step == Step.DONE
    assert ledger == {"number": 1, "brand": 1, "vetting": 1, "campaign": 1, "connector": 1}
    assert after.objects.connector.id == before.objects.connector.id == result.connector_id
    connector = next(c for c in after.charges if c.kind == "connector")
    assert connector.matched_existing and not connector.earlier_run


async def test_a_generation_3_run_terminated_the_new_run_starts_from_its_memo_without_a_worker(ts_env):
    # Runs started before generation 4 keep their memo to the end; the starter reads it without
    # asking a worker (none is running when the new run starts here).
    config = SandboxConfig.instant(scenario={"brand": [{"outcome": "hold"}]})
    async with sandbox_world(config, clock=ts_env.get_current_time) as world:
        queue = new_task_queue()
        input = make_input(poll=FAST_POLLS)
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird), queue):
            older = input.model_copy(update={"generation": 3, "bird_task_queue": bird_task_queue_for(queue)})
            first = await start(ts_env.client, older, queue)
            while (await status(first)).step != Step.AWAIT_BRAND:
                await asyncio.sleep(0.05)
            before = await status(first)
            await first.terminate(reason="operator stopped the worker's onboarding by mistake")
        memo = await (await first.describe()).memo_value(MEMO_KEY)
        history = await first.fetch_history()

        out = io.StringIO()
        code, second = await start_from_cli(ts_env.client, input, task_queue=queue, out=out)
        assert code == 0 and second is not None, out.getvalue()
        assert "starts from what it recorded" in out.getvalue()
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird), queue):
            await world.review("brand", before.objects.brand.id, "approve")
            result = await second.result()
            after = await status(second)
        ledger = await world.ledger_counts()

    assert memo["ids"] == {"number": before.objects.number.id, "brand": before.objects.brand.id}
    assert properties_modified(history) > 0
    assert result.step == Step.DONE
    assert ledger == {"number": 1, "brand": 1, "vetting": 1, "campaign": 1, "connector": 1}
    assert after.objects.number.id == before.objects.number.id and after.objects.brand.id == before.objects.brand.id
    assert {c.kind for c in after.charges if c.earlier_run} == {"number", "brand"}


async def test_no_worker_to_read_an_earlier_runs_record_starts_nothing_and_exits_unavailable(dev_env):
    # On the dev server: the time-skipping one keeps sending a closed run's query to the sticky
    # queue of a worker that has stopped, so the worker started again here would never be asked.
    config = SandboxConfig.instant(scenario={"brand": [{"outcome": "hold"}]})
    async with sandbox_world(config) as world:
        queue = new_task_queue()
        input = make_input(poll=FAST_POLLS)
        async with onboarding_worker(dev_env.client, onboarding_activities(world.bird), queue):
            code, first = await start_from_cli(dev_env.client, input, task_queue=queue, out=io.StringIO())
            assert code == 0 and first is not None
            while (await status(first)).step != Step.AWAIT_BRAND:
                await asyncio.sleep(0.05)
            await first.terminate(reason="operator stopped the worker's onboarding by mistake")
        terminated = await first.describe()

        out = io.StringIO()
        code, second = await start_from_cli(dev_env.client, input, task_queue=queue, out=out)
        latest = await dev_env.client.get_workflow_handle(first.id).describe()

        async with onboarding_worker(dev_env.client, onboarding_activities(world.bird), queue):
            # with a worker back, the same start goes ahead from what the earlier run bought
            again_out = io.StringIO()
            again, third = await start_from_cli(dev_env.client, input, task_queue=queue, out=again_out)
            assert again == 0 and third is not None, again_out.getvalue()
            await third.terminate(reason="test over")
        ledger = await world.ledger_counts()

    assert (code, second) == (EXIT_UNAVAILABLE, None)
    assert (latest.run_id, latest.status) == (terminated.run_id, terminated.status)  # nothing started
    message = out.getvalue()
    assert input.onboarding_id in message and "a worker must be running to read what that run recorded" in message
    assert ledger == {"number": 1, "brand": 1}


async def test_a_number_joins_an_approved_campaign_without_registering_anything(ts_env):
    async with sandbox_world(clock=ts_env.get_current_time) as world:
        sandbox = world.app.state.sandbox
        ws = sandbox.config.workspace_id
        brand = await world.bird.create_brand(ws, BrandCreate.model_validate(EXAMPLE["brand"]))
        await world.review("brand", brand.id, "approve")
        campaign = await world.bird.create_campaign(ws, brand.id, CampaignCreate.model_validate(EXAMPLE["campaign"]))
        await world.review("campaign", campaign.id, "approve")
        before = await world.ledger_counts()
        input = make_input(brand={"brand_id": brand.id}, campaign={"campaign_id": campaign.id}, vetting=None, poll=FAST_POLLS)
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, input, queue)
            result = await handle.result()
            await record_history(handle, "fleet-number-joins-campaign")
            final = await status(handle)
        after = await world.ledger_counts()

    assert result.step == Step.DONE and result.campaign_id == campaign.id and result.brand_id == brand.id
    assert {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)} == {"number": 1, "connector": 1}
    skipped = {s.step for s in final.steps if s.outcome == "skipped"}
    assert skipped == {Step.REGISTER_BRAND, Step.AWAIT_BRAND, Step.VETTING, Step.CREATE_CAMPAIGN, Step.AWAIT_CAMPAIGN}


async def test_a_429_on_a_create_costs_one_more_send_and_no_list(dev_env):
    # On a real server the heartbeat details an attempt leaves travel with its failure to the next
    # attempt: after Bird's 429 ("not processed") the retry sends again without listing. (Each 429
    # costs its Retry-After, a second: two creates, a number and a brand, show it for all.)
    calls: Counter[str] = Counter()
    config = SandboxConfig.instant(numbers_per_area_code=100)
    observer = lambda operation, outcome: calls.update([operation])  # noqa: E731
    creates = ("buy_numbers", "create_brand")
    async with sandbox_world(config, observer=observer) as world:
        await crowd(world, 10)
        faults = {name: {"sequence": ["429"]} for name in creates}
        await world.put("faults", Faults(routes=faults).model_dump(mode="json", by_alias=True, exclude_none=True))
        calls.clear()
        before = Counter(await world.ledger_counts())
        async with onboarding_worker(dev_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(dev_env.client, make_input(poll=PollSettings(min_seconds=1, max_seconds=2)), queue)
            result = await handle.result()
        bought = Counter(await world.ledger_counts()) - before
    assert result.step == Step.DONE
    assert {op: calls[op] for op in creates} == {op: 2 for op in creates}
    assert not {op for op in calls if op.startswith("list_") and op != "list_stock_items"}, calls
    assert bought == Counter(dict.fromkeys(("number", "brand", "vetting", "campaign", "connector"), 1))
