"""Ownership in a shared workspace: a create's look-before-create adopts only what this onboarding
created itself (after it first scheduled the create, with the same content), never an earlier
customer's or another onboarding's object; a first attempt sends without listing; lists stop at the
first match and the stock at its first usable page."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.base import Ownership
from activities.brands import BrandActivities, CreateBrandInput
from activities.campaigns import CampaignActivities, CreateCampaignInput
from activities.connectors import ConnectorActivities, InstallConnectorInput
from activities.errors import STOCK_ITEM_SOLD
from activities.numbers import BuyNumberInput, ChooseNumberInput, NumberActivities
from sandbox.app import create_app
from sandbox.config import DEFAULT_ORGANIZATION_ID as ORG, DEFAULT_WORKSPACE_ID as WS, SandboxConfig
from sandbox.testing import bird_client, control_client, running

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "examples" / "onboarding.json").read_text())


class Bird:
    def __init__(self, app: Any, client: Any, control: httpx.AsyncClient, calls: Counter[str]) -> None:
        self.app, self.control, self.calls = app, control, calls
        self.numbers, self.brands = NumberActivities(client), BrandActivities(client)
        self.campaigns, self.connectors = CampaignActivities(client), ConnectorActivities(client)

    async def run(self, fn: Any, arg: Any, *, attempt: int = 1) -> Any:
        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, attempt=attempt)
        return await env.run(fn, arg)

    async def ledger(self) -> dict[str, int]:
        return (await self.control.get("/_sandbox/ledger")).json()["counts"]

    async def review(self, kind: str, object_id: str, outcome: str) -> None:
        response = await self.control.post(f"/_sandbox/objects/{kind}/{object_id}/review", json={"outcome": outcome})
        response.raise_for_status()


@pytest.fixture
async def bird() -> AsyncIterator[Bird]:
    app = create_app(SandboxConfig.instant(numbers_per_area_code=100))
    calls: Counter[str] = Counter()
    observer = lambda operation, outcome: calls.update([operation])  # noqa: E731
    async with running(app), bird_client(app, observer=observer) as client, control_client(app) as control:
        yield Bird(app, client, control, calls)


def now() -> datetime:
    return datetime.now(UTC)


def retry(since: datetime) -> Ownership:
    """A create scheduled at `since` whose earlier attempt's answer was lost."""
    return Ownership(since=since, first=False)


async def approved_brand(bird: Bird) -> str:
    brand = await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"]))
    await bird.review("brand", brand.id, "approve")
    return brand.id


async def test_a_brand_registered_before_this_onboarding_scheduled_its_create_is_not_adopted(bird):
    earlier = await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"]))
    since = now() + timedelta(minutes=5)  # the same brand body, scheduled well after that one existed
    ours = await bird.run(
        bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"], ownership=retry(since)), attempt=2
    )
    assert ours.created and ours.id != earlier.id
    assert await bird.ledger() == {"brand": 2}


async def test_a_lost_answer_is_still_found_when_it_came_after_the_first_schedule(bird):
    since = now()
    lost = await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"]))
    again = await bird.run(
        bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"], ownership=retry(since)), attempt=2
    )
    assert (again.id, again.created) == (lost.id, False)
    assert await bird.ledger() == {"brand": 1}


async def test_the_first_attempt_of_the_first_schedule_sends_without_listing(bird):
    await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"]))
    bird.calls.clear()
    first = Ownership(since=now(), first=True)
    ours = await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"], ownership=first))
    assert ours.created and bird.calls == {"create_brand": 1}
    bird.calls.clear()
    # the same schedule's second attempt may follow a lost answer: it looks first
    await bird.run(
        bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"], ownership=first), attempt=2
    )
    assert bird.calls == {"list_brands": 1}


async def test_another_onboardings_campaign_of_the_same_name_is_not_adopted(bird):
    brand_id = await approved_brand(bird)
    body = EXAMPLE["campaign"]
    # the case: a second onboarding on the same brand with the same campaign name, its
    # create scheduled after the first onboarding's campaign existed, retried after a lost answer
    theirs = await bird.run(bird.campaigns.create_campaign, CreateCampaignInput(workspace_id=WS, brand_id=brand_id, body=body))
    ours = await bird.run(
        bird.campaigns.create_campaign,
        CreateCampaignInput(workspace_id=WS, brand_id=brand_id, body=body, ownership=retry(now() + timedelta(minutes=5))),
        attempt=2,
    )
    assert ours.created and ours.id != theirs.id
    assert (await bird.ledger())["campaign"] == 2


async def test_another_onboardings_number_is_not_adopted_and_a_sold_stock_item_is_named(bird):
    choice = await bird.run(bird.numbers.choose_number, ChooseNumberInput(organization_id=ORG, prefix="+1415"))
    buy = BuyNumberInput(workspace_id=WS, stock_item_id=choice.stock_item_id, number_string=choice.number_string)
    theirs = await bird.run(bird.numbers.buy_number, buy)
    # we chose the same stock item, scheduled our purchase after theirs, and retry after a lost answer
    ours = buy.model_copy(update={"ownership": retry(now() + timedelta(minutes=5))})
    with pytest.raises(ApplicationError) as caught:
        await bird.run(bird.numbers.buy_number, ours, attempt=2)
    assert caught.value.type == STOCK_ITEM_SOLD and caught.value.non_retryable
    assert "numberStockItemIds" in caught.value.details[0]["field_errors"]
    # ... and the next choice leaves it out
    other = await bird.run(
        bird.numbers.choose_number,
        ChooseNumberInput(organization_id=ORG, prefix="+1415", exclude=[choice.stock_item_id]),
    )
    assert other.stock_item_id != choice.stock_item_id and theirs.created
    assert await bird.ledger() == {"number": 1}


async def test_our_own_number_is_found_after_a_lost_answer(bird):
    since = now()
    choice = await bird.run(bird.numbers.choose_number, ChooseNumberInput(organization_id=ORG, prefix="+1415"))
    buy = BuyNumberInput(workspace_id=WS, stock_item_id=choice.stock_item_id, number_string=choice.number_string)
    lost = await bird.run(bird.numbers.buy_number, buy.model_copy(update={"ownership": Ownership(since=since, first=True)}))
    again = await bird.run(bird.numbers.buy_number, buy.model_copy(update={"ownership": retry(since)}), attempt=2)
    assert (again.id, again.created) == (lost.id, False)
    assert await bird.ledger() == {"number": 1}


async def test_a_connector_on_another_number_is_not_adopted(bird):
    brand_id = await approved_brand(bird)
    campaign = await bird.run(
        bird.campaigns.create_campaign, CreateCampaignInput(workspace_id=WS, brand_id=brand_id, body=EXAMPLE["campaign"])
    )
    await bird.review("campaign", campaign.id, "approve")
    numbers = []
    for _ in range(2):
        choice = await bird.run(
            bird.numbers.choose_number, ChooseNumberInput(organization_id=ORG, prefix="+1415", exclude=[n[0] for n in numbers])
        )
        bought = await bird.run(
            bird.numbers.buy_number,
            BuyNumberInput(workspace_id=WS, stock_item_id=choice.stock_item_id, number_string=choice.number_string),
        )
        numbers.append((choice.stock_item_id, bought.id))
    install = InstallConnectorInput(workspace_id=WS, name="Acme Plumbing SMS", phone_number_id=numbers[0][1], campaign_id=campaign.id)
    theirs = await bird.run(bird.connectors.install_connector, install)
    ours = install.model_copy(update={"phone_number_id": numbers[1][1], "ownership": retry(now())})
    mine = await bird.run(bird.connectors.install_connector, ours, attempt=2)
    assert mine.created and mine.id != theirs.id


async def test_onboardings_started_together_spread_over_the_stock_and_stop_at_its_first_page(bird):
    picks = set()
    for i in range(20):
        bird.calls.clear()
        choice = await bird.run(
            bird.numbers.choose_number, ChooseNumberInput(organization_id=ORG, prefix="+1415", spread_key=f"acme-{i}")
        )
        picks.add(choice.stock_item_id)
        assert bird.calls == {"list_stock_items": 1}
    assert len(picks) >= 10  # 20 keys over the first page's 99 items: mostly distinct


async def test_no_stock_left_after_exclusions_names_the_prefix(bird):
    stock = bird.app.state.sandbox.state.stock
    in_415 = [item_id for item_id, item in stock.items() if item["numberString"].startswith("+1415")]
    with pytest.raises(ApplicationError) as caught:
        await bird.run(bird.numbers.choose_number, ChooseNumberInput(organization_id=ORG, prefix="+1415", exclude=in_415))
    assert "number.prefix" in caught.value.details[0]["field_errors"]


async def test_list_before_create_stops_at_the_first_match(bird):
    since = now()
    ours = await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"]))
    # 300 other brands after ours: three more pages Bird would hand out
    for i in range(300):
        body = {**EXAMPLE["brand"], "displayName": f"Other {i}", "ein": f"{100000000 + i}"}
        await bird.run(bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=body))
    bird.calls.clear()
    again = await bird.run(
        bird.brands.create_brand, CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"], ownership=retry(since)), attempt=2
    )
    assert again.id == ours.id and bird.calls == {"list_brands": 1}


# -- a 429 never costs a list ----------------------------------------------------------------------


async def _attempt(bird: Bird, fn: Any, arg: Any, *, attempt: int, details: list[Any]) -> tuple[Any, list[Any]]:
    """One attempt with the heartbeat details the previous one left; returns its outcome and the
    details it leaves (what the server hands the next attempt)."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt, heartbeat_details=details)
    left: list[Any] = []
    env.on_heartbeat = lambda *d: left.__setitem__(slice(None), list(d))
    try:
        return await env.run(fn, arg), left
    except ApplicationError as err:
        return err, left


@pytest.mark.parametrize("fault", ["429", "503"])
async def test_after_a_429_the_retry_sends_without_listing_and_after_a_5xx_it_looks(bird, fault):
    await bird.control.put("/_sandbox/faults", json={"routes": {"create_brand": {"sequence": [fault]}}})
    req = CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"], ownership=Ownership(since=datetime.now(UTC), first=True))
    failed, left = await _attempt(bird, bird.brands.create_brand, req, attempt=1, details=[])
    assert isinstance(failed, ApplicationError)
    bird.calls.clear()
    brand, _ = await _attempt(bird, bird.brands.create_brand, req, attempt=2, details=left)
    assert brand.created and await bird.ledger() == {"brand": 1}
    if fault == "429":  # Bird processed nothing, and nothing came before: no list
        assert left == ["nothing-created"] and bird.calls == Counter({"create_brand": 1})
    else:  # a 5xx may have been applied: the retry looks first
        assert left == [] and bird.calls == Counter({"list_brands": 1, "create_brand": 1})


async def test_a_429_after_an_attempt_that_may_have_created_keeps_the_look_until_one_finds_nothing(bird):
    # attempt 1 (a later schedule: it must look) is 429'd on its list; attempt 2 looks again and
    # finds nothing, then its create is 429'd: attempt 3 sends without listing
    await bird.control.put(
        "/_sandbox/faults", json={"routes": {"list_brands": {"sequence": ["429"]}, "create_brand": {"sequence": ["429"]}}}
    )
    req = CreateBrandInput(workspace_id=WS, body=EXAMPLE["brand"], ownership=Ownership(since=datetime.now(UTC)))
    _, left = await _attempt(bird, bird.brands.create_brand, req, attempt=1, details=[])
    assert left == []
    _, left = await _attempt(bird, bird.brands.create_brand, req, attempt=2, details=left)
    assert left == ["nothing-created"]
    bird.calls.clear()
    brand, _ = await _attempt(bird, bird.brands.create_brand, req, attempt=3, details=left)
    assert brand.created and bird.calls == Counter({"create_brand": 1})
