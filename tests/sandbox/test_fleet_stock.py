"""Stock a fleet can buy from at once (sandbox/stock.py): a thousand numbers and more under one
prefix, all fake; an item sold to someone else is Bird's 422 on the buy; the stock list pages by
number, so a client may stop at the first page with a usable item and pages skip nothing."""

from __future__ import annotations

import asyncio
import random
import re

import httpx

from bird.errors import field_errors_from
from sandbox import DEFAULT_ACCESS_KEY
from sandbox.config import SandboxConfig
from sandbox.stock import initial_stock, line_numbers
from tests.sandbox.helpers import ORG, WS

AUTH = {"Authorization": f"AccessKey {DEFAULT_ACCESS_KEY}"}
STOCK = f"/organizations/{ORG}/numbers-stock-items"
BUY = f"/workspaces/{WS}/numbers-long-code"
FAKE = re.compile(r"^\+1[2-9]\d\d555\d{4}$")


def http_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test")


async def first_page(http: httpx.AsyncClient, prefix: str, limit: int = 10, token: str | None = None) -> dict:
    params = {"countryCodes": "US", "prefix": prefix, "limit": limit, **({"pageToken": token} if token else {})}
    response = await http.get(STOCK, params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def test_numbers_are_555_fiction_first_then_the_rest_of_the_exchange():
    lines = line_numbers(9999)
    assert lines[:100] == [f"{n:04d}" for n in range(100, 200)]
    assert len(set(lines)) == 9999 and "1212" not in lines
    items = initial_stock(SandboxConfig(stock_per_area_code={"415": 1200, "206": 0}))
    numbers = [item["numberString"] for item in items.values()]
    assert sum(n.startswith("+1415") for n in numbers) == 1200 and not any(n.startswith("+1206") for n in numbers)
    assert sum(n.startswith("+1628") for n in numbers) == 5  # the other area codes keep the default
    assert all(FAKE.match(n) for n in numbers) and len(set(numbers)) == len(numbers)
    assert len(set(items)) == len(items)
    again = initial_stock(SandboxConfig(stock_per_area_code={"415": 1200, "206": 0}))
    assert not set(items) & set(again)  # a fresh stock's items are new items: no claim on an old one holds them


async def test_a_thousand_numbers_under_one_prefix_page_by_page(make_app):
    app = make_app(stock_per_area_code={"415": 1200})
    async with http_for(app) as http:
        seen, token = [], None
        while True:
            page = await first_page(http, "+1415", limit=99, token=token)
            seen += [item["numberString"] for item in page["results"]]
            token = page.get("nextPageToken")
            if token is None:
                break
        assert len(seen) == len(set(seen)) == 1200 and seen == sorted(seen)
        assert all(n.startswith("+1415555") for n in seen)


async def test_an_item_sold_to_someone_else_is_422_on_the_buy(app, control):
    page = await first_page(control, "415")
    wanted = page["results"][0]["id"]
    sold = await control.post("/_sandbox/stock/sell", json={"numberStockItemIds": [wanted]})
    assert sold.status_code == 200 and sold.json()["sold"] == [wanted]
    response = await control.post(BUY, json={"numberStockItemIds": [wanted]}, headers=AUTH)
    assert response.status_code == 422, response.text
    (message,) = field_errors_from(response.json()["details"])["numberStockItemIds"]
    assert "sold" in message and "another customer" in message
    assert wanted not in [i["id"] for i in (await first_page(control, "415"))["results"]]
    never = "00000000-0000-4000-8000-000000000000"
    unknown = await control.post(BUY, json={"numberStockItemIds": [never]}, headers=AUTH)
    assert unknown.status_code == 422 and "not a stock item" in unknown.json()["message"]
    ledger = (await control.get("/_sandbox/ledger", params={"kind": "number"})).json()
    assert ledger["counts"] == {}  # refused buys bill nothing
    again = await control.post("/_sandbox/stock/sell", json={"numberStockItemIds": [wanted]})
    assert again.status_code == 422 and again.json()["details"]["errors"][0]["field"] == "numberStockItemIds"


async def test_two_buyers_of_one_item_one_wins_the_other_gets_422(app, control):
    item = (await first_page(control, "415"))["results"][0]["id"]
    answers = await asyncio.gather(
        *(control.post(BUY, json={"numberStockItemIds": [item]}, headers=AUTH) for _ in range(20))
    )
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] + [422] * 19
    loser = next(r for r in answers if r.status_code == 422)
    assert f"{item} (to workspace {WS})" in loser.json()["message"]


async def test_pages_skip_nothing_while_others_buy(app, control):
    page1 = await first_page(control, "415", limit=2)
    assert "nextPageToken" in page1  # more remain: a client satisfied with page 1 stops here
    # Someone buys both items of page 1 and the first of page 2 before the client asks for more.
    await control.post("/_sandbox/stock/sell", json={"prefix": "415", "count": 3})
    page2 = await first_page(control, "415", limit=2, token=page1["nextPageToken"])
    numbers = [i["numberString"] for i in page2["results"]]
    assert numbers == ["+14155550103", "+14155550104"]  # 0100..0102 are sold; nothing unsold skipped
    offset_token = (await control.get(f"/workspaces/{WS}/tcr-brands", params={"limit": 1}, headers=AUTH)).json()
    assert "nextPageToken" not in offset_token  # (no brands: nothing to page)
    bad = await control.get(STOCK, params={"pageToken": "b2Zmc2V0OjEw"}, headers=AUTH)  # an offset token
    assert bad.status_code == 422 and bad.json()["details"]["errors"][0]["field"] == "pageToken"


async def test_a_fleet_of_a_thousand_buys_under_one_prefix_at_once(make_app):
    """1,000 onboardings, 50 at a time, each take the first page of the prefix, buy an item of it
    and list again when it was sold under them: every one ends with its own number, billed once.
    A millisecond of latency on both routes makes them interleave as a real fleet's calls would."""
    app = make_app(stock_per_area_code={"415": 1100})
    pick = random.Random(7)
    at_once = asyncio.Semaphore(50)

    async def onboard(http: httpx.AsyncClient) -> str:
        async with at_once:
            while True:
                item = pick.choice((await first_page(http, "+1415", limit=99))["results"])
                response = await http.post(BUY, json={"numberStockItemIds": [item["id"]]}, headers=AUTH)
                if response.status_code == 201:
                    return response.json()["results"][0]["numberString"]
                assert response.status_code == 422 and "sold" in response.json()["message"], response.text

    async with http_for(app) as http:
        latency = {"latency": 0.001}
        await http.put("/_sandbox/faults", json={"routes": {"list_stock_items": latency, "buy_numbers": latency}})
        numbers = await asyncio.gather(*(onboard(http) for _ in range(1000)))
        assert len(set(numbers)) == 1000 and all(n.startswith("+1415555") for n in numbers)
        ledger = (await http.get("/_sandbox/ledger", params={"kind": "number"})).json()
        assert ledger["counts"] == {"number": 1000}
        objects = (await http.get("/_sandbox/objects")).json()
        assert len(objects["numbers"]) == 1000 and objects["stockLeft"] == 1100 - 1000 + 7 * 5  # other area codes
        calls = (await http.get("/_sandbox/stats")).json()["requests"]
        assert calls["buy_numbers"] > 1000  # some buys lost a race and were refused as sold
        assert calls["buy_numbers"] == calls["list_stock_items"]
