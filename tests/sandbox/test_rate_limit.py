"""Bird's organization-wide rate limit (sandbox/ratelimit.py): past it every API route answers 429
with Retry-After and processes nothing; /_sandbox is never limited; /_sandbox/stats counts calls
and 429s. A hand-stepped clock makes the bucket exact."""

from __future__ import annotations

import argparse
import asyncio

import httpx
import pytest

from sandbox import DEFAULT_ACCESS_KEY
from sandbox.cli import _banner, build_config, configure
from sandbox.ratelimit import RateLimit, TokenBucket
from sandbox.testing import sandbox_of
from tests.sandbox.helpers import WS, brand_body

AUTH = {"Authorization": f"AccessKey {DEFAULT_ACCESS_KEY}"}
BRANDS = f"/workspaces/{WS}/tcr-brands"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def stepped(app) -> Clock:
    """Put the sandbox's bucket on a clock the test moves (a full bucket to start)."""
    clock = Clock()
    sandbox = sandbox_of(app)
    sandbox.limiter = TokenBucket(sandbox.state.rate_limit, clock=clock)
    return clock


async def stats(control) -> dict:
    response = await control.get("/_sandbox/stats")
    assert response.status_code == 200, response.text
    return response.json()


def test_the_bucket_refills_at_the_rate_and_holds_at_most_burst():
    clock = Clock()
    bucket = TokenBucket(RateLimit(per_second=2, burst=3), clock=clock)
    assert [bucket.take() for _ in range(4)] == [None, None, None, 0.5]
    clock.now += 0.5
    assert bucket.take() is None and bucket.take() == 0.5
    clock.now += 60  # a long quiet spell refills to `burst`, not beyond
    assert [bucket.take() is None for _ in range(4)] == [True, True, True, False]
    assert RateLimit(per_second=0.5).burst == 1 and RateLimit(per_second=7.2).burst == 8
    assert TokenBucket(None).take() is None


async def test_past_the_limit_it_answers_429_and_processes_nothing(make_app):
    app = make_app(rate_limit={"per_second": 5})
    clock = stepped(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test") as http:
        answers = [await http.post(BRANDS, json=brand_body().model_dump(by_alias=True, exclude_none=True),
                                   headers=AUTH) for _ in range(8)]  # fmt: skip
        assert [r.status_code for r in answers] == [201] * 5 + [429] * 3
        refused = answers[-1]
        assert refused.headers["Retry-After"] == "1" and refused.json()["code"] == "TooManyRequests"
        assert "5 requests/second" in refused.json()["message"]
        objects = (await http.get("/_sandbox/objects")).json()
        assert len(objects["brands"]) == 5  # the 429s created nothing
        ledger = (await http.get("/_sandbox/ledger", params={"kind": "brand"})).json()
        assert ledger["counts"] == {"brand": 5}  # and charged nothing
        for _ in range(20):  # the control plane is not Bird: never limited, never counted
            assert (await http.get("/_sandbox/health")).status_code == 200
        assert await stats(http) == {
            "requests": {"create_brand": 8},
            "total": 8,
            "rateLimited": {"create_brand": 3},
            "rateLimitedTotal": 3,
            "rateLimit": {"perSecond": 5.0, "burst": 5},
        }
        clock.now += 0.2  # one token back at 5/s
        assert (await http.get(BRANDS, headers=AUTH)).status_code == 200
        assert (await http.get(BRANDS, headers=AUTH)).status_code == 429


async def test_retry_after_is_the_whole_seconds_until_a_token(make_app):
    app = make_app(rate_limit={"per_second": 0.25, "burst": 1})
    clock = stepped(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test") as http:
        assert (await http.get(BRANDS, headers=AUTH)).status_code == 200
        response = await http.get(BRANDS, headers=AUTH)
        assert response.status_code == 429 and response.headers["Retry-After"] == "4"
        clock.now += 3.5
        assert (await http.get(BRANDS, headers=AUTH)).headers["Retry-After"] == "1"  # 0.5 s left: 1, never 0
        clock.now += 0.5
        assert (await http.get(BRANDS, headers=AUTH)).status_code == 200


async def test_a_refused_request_does_not_play_its_fault_and_a_wrong_key_takes_no_token(make_app, control):
    app = make_app(rate_limit={"per_second": 1, "burst": 1})
    clock = stepped(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test") as http:
        await http.put("/_sandbox/faults", json={"routes": {"list_brands": {"sequence": ["503"]}}})
        assert (await http.get(BRANDS, headers={"Authorization": "AccessKey wrong"})).status_code == 401
        assert (await http.get(BRANDS, headers=AUTH)).status_code == 503  # the token was still there
        await http.put("/_sandbox/faults", json={"routes": {"list_brands": {"sequence": ["502"]}}})
        assert (await http.get(BRANDS, headers=AUTH)).status_code == 429
        clock.now += 1
        assert (await http.get(BRANDS, headers=AUTH)).status_code == 502  # the fault waited for a processed call


async def test_the_limit_is_set_and_lifted_from_the_control_plane(app, control):
    assert (await control.get("/_sandbox/rate-limit")).json() is None
    assert (await stats(control))["rateLimit"] is None
    put = await control.put("/_sandbox/rate-limit", json={"perSecond": 2})
    assert put.status_code == 200 and put.json() == {"perSecond": 2.0, "burst": 2}
    codes = [(await control.get(BRANDS, headers=AUTH)).status_code for _ in range(3)]
    assert codes[:2] == [200, 200] and codes[2] == 429  # 3 calls well within the half second a token takes
    for body, field in (({"perSecond": 0}, "perSecond"), ({"perSecond": "fast"}, "perSecond"), ({}, "perSecond"),
                        ({"perSecond": 1, "burst": 0}, "burst"), ({"perSecond": 1, "extra": 1}, "extra")):  # fmt: skip
        bad = await control.put("/_sandbox/rate-limit", json=body)
        assert bad.status_code == 422 and bad.json()["details"]["errors"][0]["field"] == field, bad.text
    assert (await control.delete("/_sandbox/rate-limit")).status_code == 200
    assert all([(await control.get(BRANDS, headers=AUTH)).status_code == 200 for _ in range(10)])
    assert (await stats(control))["rateLimitedTotal"] == 1


async def test_reset_restores_the_configured_limit_and_zeroes_the_counts(make_app):
    app = make_app(rate_limit={"per_second": 1000, "burst": 1})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test") as http:
        await http.delete("/_sandbox/rate-limit")
        await http.get(BRANDS, headers=AUTH)
        await http.post("/_sandbox/reset")
        after = await stats(http)
        assert after["total"] == 0 and after["rateLimitedTotal"] == 0
        assert after["rateLimit"] == {"perSecond": 1000.0, "burst": 1}


async def test_a_fleet_at_once_is_cut_to_the_burst_and_every_call_is_counted(make_app):
    """Many clients at the same instant: the bucket lets `burst` through; the stats add up."""
    app = make_app(rate_limit={"per_second": 10, "burst": 25})
    stepped(app)  # the clock stands still: no refill during the burst
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test") as http:
        answers = await asyncio.gather(*(http.get(BRANDS, headers=AUTH) for _ in range(200)))
        codes = sorted(r.status_code for r in answers)
        assert codes.count(200) == 25 and codes.count(429) == 175
        assert {r.headers["Retry-After"] for r in answers if r.status_code == 429} == {"1"}
        counted = await stats(http)
        assert counted["total"] == 200 and counted["rateLimited"] == {"list_brands": 175}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure(parser)
    return parser.parse_args(argv)


def test_the_cli_sets_the_rate_limit_and_the_stock(monkeypatch):
    monkeypatch.delenv("BIRD_ACCESS_KEY", raising=False)
    config = build_config(parse("--rate-limit", "20", "--stock", "415=1200", "--stock", "628=0"))
    assert config.rate_limit == RateLimit(per_second=20, burst=20)
    assert config.stock_per_area_code == {"415": 1200, "628": 0}
    assert "rate limit       20 requests/s (bursts of 20)" in _banner(config, "127.0.0.1", 8787)
    assert build_config(parse()).rate_limit is None
    for argv in (("--stock", "415"), ("--stock", "415=many")):
        with pytest.raises(ValueError, match="AREA_CODE=COUNT"):
            build_config(parse(*argv))
    with pytest.raises(ValueError):  # pydantic's ValidationError: the CLI reports it and exits 2
        build_config(parse("--rate-limit", "0"))
    with pytest.raises(ValueError):
        build_config(parse("--stock", "415=10000"))
