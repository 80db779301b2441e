"""Stock-item claims in `choose_number`: an item claimed by another onboarding is passed over, one
claimed by the same onboarding (a retried choose) is taken again, a page claimed to the last item
gives way to the next page, and without a key nothing is claimed. With claims a retried purchase
can no longer adopt the number another onboarding bought from the same stock item.

The unit tests use an in-memory `StockClaims`; tests/activities/test_claims_temporal.py runs the
same choices against a real Temporal dev server."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.base import Ownership
from activities.errors import NO_NUMBER_IN_STOCK
from activities.numbers import BuyNumberInput, ChooseNumberInput, NumberActivities, NumberChoice
from bird.client import BirdClient
from bird.models import StockItemQuery
from sandbox.app import create_app
from sandbox.config import DEFAULT_ORGANIZATION_ID as ORG, DEFAULT_WORKSPACE_ID as WS, SandboxConfig
from sandbox.testing import bird_client, running


@dataclass
class MemoryClaims:
    """Claims as Temporal keeps them (the first owner of an item keeps it), counting each call."""

    owners: dict[str, str] = field(default_factory=dict)
    calls: int = 0

    async def claim(self, stock_item_id: str, owner: str) -> bool:
        self.calls += 1
        return self.owners.setdefault(stock_item_id, owner) == owner


@dataclass
class Stock:
    client: BirdClient
    calls: Counter[str]

    def numbers(self, claims: MemoryClaims | None) -> NumberActivities:
        return NumberActivities(self.client, claims)

    async def first_page(self) -> list[str]:
        query = StockItemQuery(country_codes=["US"], types=["local"], features=["sms-outbound"], prefix="+1415")
        async for page in self.client.stock_item_pages(ORG, query):
            return [item.id for item in page]
        return []


async def run(fn: Any, arg: Any, *, attempt: int = 1) -> Any:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return await env.run(fn, arg)


def choose(key: str | None, **changes: Any) -> ChooseNumberInput:
    return ChooseNumberInput(organization_id=ORG, prefix="+1415", spread_key=key, **changes)


async def stock_of(count: int) -> AsyncIterator[Stock]:
    app = create_app(SandboxConfig.instant(area_codes=["415"], numbers_per_area_code=count))
    calls: Counter[str] = Counter()
    observer = lambda operation, outcome: calls.update([operation])  # noqa: E731
    async with running(app), bird_client(app, observer=observer) as client:
        yield Stock(client, calls)


@pytest.fixture
async def stock() -> AsyncIterator[Stock]:
    async for s in stock_of(100):  # 99 items on the first page, one on the second
        yield s


async def first_pick(stock: Stock, key: str) -> NumberChoice:
    """What `key` would choose with nothing claimed."""
    return await run(stock.numbers(None).choose_number, choose(key))


async def key_preferring(stock: Stock, item_id: str, prefix: str) -> str:
    """A key whose first choice, with nothing claimed, is `item_id`: one that collides."""
    for i in range(2000):
        if (await first_pick(stock, f"{prefix}-{i}")).stock_item_id == item_id:
            return f"{prefix}-{i}"
    raise AssertionError(f"no key among 2000 prefers {item_id}")


async def test_an_item_another_onboarding_claimed_is_passed_over_for_another(stock):
    wanted = await first_pick(stock, "acme-b")
    claims = MemoryClaims(owners={wanted.stock_item_id: "acme-a"})
    stock.calls.clear()
    got = await run(stock.numbers(claims).choose_number, choose("acme-b"))
    assert got.stock_item_id != wanted.stock_item_id
    assert claims.owners[got.stock_item_id] == "acme-b"
    assert claims.calls == 2 and stock.calls == {"list_stock_items": 1}  # one refused claim, one granted


async def test_a_retried_choose_takes_the_item_it_claimed_before(stock):
    claims = MemoryClaims()
    first = await run(stock.numbers(claims).choose_number, choose("acme-a"))
    again = await run(stock.numbers(claims).choose_number, choose("acme-a"), attempt=2)
    assert again == first
    assert claims.owners == {first.stock_item_id: "acme-a"}  # one claim, not a second item held
    assert claims.calls == 2


async def test_a_page_claimed_to_its_last_item_gives_way_to_the_next_page(stock):
    page = await stock.first_page()
    assert len(page) == 99
    claims = MemoryClaims(owners={item_id: "someone-else" for item_id in page})
    stock.calls.clear()
    got = await run(stock.numbers(claims).choose_number, choose("acme-a"))
    assert got.stock_item_id not in page and claims.owners[got.stock_item_id] == "acme-a"
    assert stock.calls == {"list_stock_items": 2}
    assert claims.calls == 100  # each of the first page's items tried once, then the second page's


async def test_every_item_claimed_is_no_stock_naming_the_prefix():
    async for stock in stock_of(3):
        claims = MemoryClaims(owners={item_id: "someone-else" for item_id in await stock.first_page()})
        with pytest.raises(ApplicationError) as caught:
            await run(stock.numbers(claims).choose_number, choose("acme-a"))
        assert caught.value.type == NO_NUMBER_IN_STOCK
        assert "number.prefix" in caught.value.details[0]["field_errors"]


async def test_without_a_key_nothing_is_claimed_and_the_first_item_is_chosen(stock):
    claims = MemoryClaims()
    got = await run(stock.numbers(claims).choose_number, choose(None))
    assert got.stock_item_id == (await stock.first_page())[0]
    assert claims.calls == 0 and claims.owners == {}


async def test_onboardings_started_together_try_the_page_in_orders_of_their_own(stock):
    # not one walk over the page that all of them share: the second choices differ too
    page = await stock.first_page()
    seconds = set()
    for i in range(10):
        claims = MemoryClaims()
        first = await first_pick(stock, f"acme-{i}")
        claims.owners[first.stock_item_id] = "someone-else"
        seconds.add((await run(stock.numbers(claims).choose_number, choose(f"acme-{i}"))).stock_item_id)
    assert len(seconds) >= 5 and seconds <= set(page)


@pytest.mark.parametrize("claimed", [True, False], ids=["with-claims", "without-claims-the-bug"])
async def test_a_purchase_retried_after_a_crash_adopts_only_its_own_number(stock, claimed):
    """A chooses an item and its purchase's first attempt dies with the outcome unknown; B, whose
    key prefers the same item, chooses and buys; A's retry looks in the workspace for its number."""
    claims = MemoryClaims() if claimed else None
    a = await run(stock.numbers(claims).choose_number, choose("fleet-a"))
    a_scheduled = datetime.now(UTC)  # attempt 1 of A's purchase: killed before Bird answered
    b_key = await key_preferring(stock, a.stock_item_id, "fleet-b")
    b = await run(stock.numbers(claims).choose_number, choose(b_key))
    b_number = await run(stock.numbers(claims).buy_number, buy(b, Ownership(since=datetime.now(UTC), first=True)))
    a_number = await run(stock.numbers(claims).buy_number, buy(a, Ownership(since=a_scheduled)), attempt=2)
    if claimed:
        assert b.stock_item_id != a.stock_item_id
        assert a_number.created and a_number.id != b_number.id and a_number.number_string == a.number_string
    else:  # what the claims prevent: both chose one item, and A took B's purchase for its own
        assert (a_number.id, a_number.created) == (b_number.id, False)


def buy(choice: NumberChoice, ownership: Ownership) -> BuyNumberInput:
    return BuyNumberInput(
        workspace_id=WS, stock_item_id=choice.stock_item_id, number_string=choice.number_string, ownership=ownership
    )
