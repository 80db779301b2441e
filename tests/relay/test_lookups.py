"""Lookups shared between waiting deliveries (relay/lookups.py), against the fake Temporal: one query
a round for every waiting id, each delivery answered when its id shows up or its wait ends."""

from __future__ import annotations

import asyncio
import time

import pytest

from relay.link import TemporalLink, TemporalUnavailable
from relay.lookups import Lookups, owners_query
from tests.relay.fakes import FakeTemporal
from workflows.contract import BRAND_ID, CAMPAIGN_ID, CHANNEL_ID, CONNECTOR_ID


def _lookups(temporal: FakeTemporal, **kw) -> Lookups:
    return Lookups(TemporalLink(client=temporal, timeout=2), **kw)


def test_the_query_names_each_attribute_once():
    clauses = [(BRAND_ID, "b-1"), (CAMPAIGN_ID, "c-1"), (BRAND_ID, "b-2"), (BRAND_ID, "b-1")]
    assert owners_query(clauses) == (
        '(BirdBrandId IN ("b-1", "b-2") OR BirdCampaignId = "c-1") AND ExecutionStatus = "Running"'
    )
    assert owners_query([(BRAND_ID, "b-1")]) == 'BirdBrandId = "b-1" AND ExecutionStatus = "Running"'
    with pytest.raises(ValueError):
        owners_query([])


async def test_waiting_deliveries_share_one_query_a_round():
    temporal = FakeTemporal()
    lookups = _lookups(temporal)
    ids = [f"b-{i}" for i in range(5)]
    started = time.monotonic()
    answers = await asyncio.gather(*(lookups.find([(BRAND_ID, i)], retry_seconds=1.0) for i in ids))
    elapsed = time.monotonic() - started
    assert answers == [[]] * 5
    assert 1.0 <= elapsed < 2.0
    # as many queries as one delivery alone makes (looks at 0, 0.25, 0.75 and at its deadline, 1.0) ...
    alone = FakeTemporal()
    await _lookups(alone).find([(BRAND_ID, "b-0")], retry_seconds=1.0)
    assert len(temporal.queries) == len(alone.queries) == 4
    # ... each asking for all five
    assert all(q.startswith('BirdBrandId IN ("b-0", "b-1", "b-2", "b-3", "b-4")') for q in temporal.queries)


async def test_each_delivery_is_answered_when_its_id_shows_up():
    temporal = FakeTemporal()
    lookups = _lookups(temporal)
    early = asyncio.ensure_future(lookups.find([(BRAND_ID, "b-early")], retry_seconds=3.0))
    never = asyncio.ensure_future(lookups.find([(BRAND_ID, "b-never")], retry_seconds=1.0))
    await asyncio.sleep(0.3)
    assert not early.done() and not never.done()
    temporal.add("onboarding-early", BirdBrandId="b-early")  # the create returned, the id is recorded
    started = time.monotonic()
    assert await early == ["onboarding-early"]
    assert time.monotonic() - started < 1.1  # at the next round, not at the end of its wait
    assert not never.done()
    assert await never == []  # at its own deadline, 1 s after it began
    assert len(lookups) == 0


async def test_kinds_mix_in_one_query_and_every_owner_is_found():
    temporal = FakeTemporal()
    temporal.add("onboarding-a", BirdBrandId="b-shared", BirdCampaignId="c-a")
    temporal.add("onboarding-b", BirdBrandId="b-shared", BirdConnectorId="k-b")
    temporal.add("onboarding-other", BirdBrandId="b-other")
    temporal.add("onboarding-closed", BirdBrandId="b-shared")
    temporal.closed.add("onboarding-closed")
    lookups = _lookups(temporal)
    brand, campaign, channel = await asyncio.gather(
        lookups.find([(BRAND_ID, "b-shared")], retry_seconds=1.0),
        lookups.find([(CAMPAIGN_ID, "c-a")], retry_seconds=1.0),
        lookups.find([(CHANNEL_ID, "ch-b"), (CONNECTOR_ID, "k-b")], retry_seconds=1.0),
    )
    assert (brand, campaign, channel) == (["onboarding-a", "onboarding-b"], ["onboarding-a"], ["onboarding-b"])
    assert temporal.queries == [
        '(BirdBrandId = "b-shared" OR BirdCampaignId = "c-a" OR BirdChannelId = "ch-b" OR '
        'BirdConnectorId = "k-b") AND ExecutionStatus = "Running"'
    ]


async def test_a_round_splits_many_ids_into_bounded_queries():
    temporal = FakeTemporal()
    temporal.add("onboarding-4", BirdBrandId="b-4")
    lookups = _lookups(temporal, max_ids=2)
    answers = await asyncio.gather(*(lookups.find([(BRAND_ID, f"b-{i}")], retry_seconds=0) for i in range(5)))
    assert answers == [[], [], [], [], ["onboarding-4"]]
    assert len(temporal.queries) == 3
    assert all(q.count('"b-') <= 2 for q in temporal.queries)


async def test_a_failed_round_fails_every_delivery_in_it_and_the_next_round_works():
    temporal = FakeTemporal()
    temporal.add("onboarding-1", BirdBrandId="b-1")
    temporal.down = True
    lookups = _lookups(temporal)
    answers = await asyncio.gather(
        *(lookups.find([(BRAND_ID, f"b-{i}")], retry_seconds=5.0) for i in range(3)), return_exceptions=True
    )
    assert all(isinstance(a, TemporalUnavailable) for a in answers), answers
    assert len(lookups) == 0
    temporal.down = False
    assert await lookups.find([(BRAND_ID, "b-1")], retry_seconds=5.0) == ["onboarding-1"]


async def test_a_delivery_that_arrives_during_a_round_is_looked_up_in_the_next():
    temporal = FakeTemporal()
    temporal.add("onboarding-1", BirdBrandId="b-1")
    temporal.add("onboarding-2", BirdBrandId="b-2")
    lookups = _lookups(temporal)
    gate = asyncio.Event()
    original = temporal._list

    async def slow_list(query):
        await gate.wait()  # the first round is in flight until released
        async for wf in original(query):
            yield wf

    temporal._list = slow_list
    first = asyncio.ensure_future(lookups.find([(BRAND_ID, "b-1")], retry_seconds=5.0))
    await asyncio.sleep(0.05)
    second = asyncio.ensure_future(lookups.find([(BRAND_ID, "b-2")], retry_seconds=5.0))
    await asyncio.sleep(0.05)
    gate.set()
    assert (await first, await second) == (["onboarding-1"], ["onboarding-2"])
    assert temporal.queries == [
        'BirdBrandId = "b-1" AND ExecutionStatus = "Running"',
        'BirdBrandId = "b-2" AND ExecutionStatus = "Running"',
    ]


async def test_a_delivery_given_up_on_leaves_the_others_their_rounds():
    temporal = FakeTemporal()
    lookups = _lookups(temporal)
    abandoned = asyncio.ensure_future(lookups.find([(BRAND_ID, "b-gone")], retry_seconds=5.0))
    await asyncio.sleep(0.05)
    abandoned.cancel()
    temporal.add("onboarding-1", BirdBrandId="b-1")
    assert await lookups.find([(BRAND_ID, "b-1")], retry_seconds=5.0) == ["onboarding-1"]
    # the round drops the abandoned delivery instead of asking for it, and no round is left over
    assert len(lookups) == 0
    assert temporal.queries[-1] == 'BirdBrandId = "b-1" AND ExecutionStatus = "Running"'
