"""The relay against a real Temporal dev server: the visibility queries it builds are valid there,
and the signal lands in the workflow's history as `bird_event` with a `BirdEvent`.

The workflows here have no worker: a signal to a running workflow is accepted and recorded all
the same, which is exactly the relay's contract (2xx once Temporal has accepted the signal)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.workflow import _SignalDefinition

from relay.app import create_app
from relay.link import TemporalLink
from relay.lookups import Lookups, owners_query
from tests.relay.helpers import brand_event, envelope, get, post, relay_settings, signed
from workflows.contract import BIRD_EVENT_SIGNAL, BRAND_ID, CAMPAIGN_ID, CHANNEL_ID, CONNECTOR_ID, BirdEvent
from workflows.onboarding import OnboardingWorkflow

pytestmark = pytest.mark.e2e


async def start_unworked(client: Client, *attributes) -> WorkflowHandle:
    return await client.start_workflow(
        "OnboardingWorkflow",
        id=f"onboarding-relay-{uuid.uuid4()}",
        task_queue=f"relay-test-{uuid.uuid4()}",
        search_attributes=TypedSearchAttributes(list(attributes)),
    )


async def signals_of(handle: WorkflowHandle) -> list[tuple[str, BirdEvent]]:
    history = await handle.fetch_history()
    found = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            attrs = event.workflow_execution_signaled_event_attributes
            [payload] = attrs.input.payloads
            found.append((attrs.signal_name, pydantic_data_converter.payload_converter.from_payload(payload, BirdEvent)))
    return found


async def test_a_delivery_becomes_a_signal_of_the_owning_workflow(dev_env):
    brand_id = str(uuid.uuid4())
    handle = await start_unworked(dev_env.client, SearchAttributePair(BRAND_ID, brand_id))
    other = await start_unworked(dev_env.client, SearchAttributePair(BRAND_ID, str(uuid.uuid4())))
    try:
        # visibility on the dev server lags the start a little: the relay's lookup retry covers it
        app = create_app(relay_settings(relay_lookup_retry_seconds=10), client=dev_env.client)
        body = brand_event(brand_id=brand_id)
        response = await post(app, body, signed(body))
        assert response.json() == {"outcome": "signalled"}
        assert (await post(app, body, signed(body))).json() == {"outcome": "duplicate"}
        [(name, event)] = await signals_of(handle)
        assert name == "bird_event"
        assert event.payload["id"] == brand_id and event.payload["status"] == "APPROVED" and event.delivery_id
        assert await signals_of(other) == []
    finally:
        await handle.terminate()
        await other.terminate()


async def test_a_channel_event_finds_the_workflow_by_connector(dev_env):
    connector_id = str(uuid.uuid4())
    handle = await start_unworked(dev_env.client, SearchAttributePair(CONNECTOR_ID, connector_id))
    try:
        app = create_app(relay_settings(relay_lookup_retry_seconds=10), client=dev_env.client)
        body = envelope("channels", "channel.updated", {"id": str(uuid.uuid4()), "status": "active", "connectorId": connector_id})
        assert (await post(app, body, signed(body))).json() == {"outcome": "signalled"}
        [(name, event)] = await signals_of(handle)
        assert event.payload["connectorId"] == connector_id
    finally:
        await handle.terminate()


async def test_one_query_finds_the_owners_of_several_objects(dev_env):
    # The shared lookup's query form (`IN (...)` per attribute, OR across attributes) on the dev
    # server's SQLite visibility, and the search attributes it lists that match answers to ids.
    client = dev_env.client
    shared, other, campaign, connector = (str(uuid.uuid4()) for _ in range(4))
    handles = [
        await start_unworked(client, SearchAttributePair(BRAND_ID, shared)),
        await start_unworked(client, SearchAttributePair(BRAND_ID, shared), SearchAttributePair(CAMPAIGN_ID, campaign)),
        await start_unworked(client, SearchAttributePair(BRAND_ID, other), SearchAttributePair(CONNECTOR_ID, connector)),
    ]
    try:
        everyone = [(BRAND_ID, shared), (BRAND_ID, other)]
        for _ in range(100):  # until visibility shows all three
            if len([wf async for wf in client.list_workflows(owners_query(everyone))]) == 3:
                break
            await asyncio.sleep(0.1)
        lookups = Lookups(TemporalLink(client=client, timeout=10))
        answers = await asyncio.gather(
            lookups.find([(BRAND_ID, shared)], retry_seconds=0),
            lookups.find([(BRAND_ID, other)], retry_seconds=0),
            lookups.find([(CAMPAIGN_ID, campaign)], retry_seconds=0),
            lookups.find([(CHANNEL_ID, str(uuid.uuid4())), (CONNECTOR_ID, connector)], retry_seconds=0),
            lookups.find([(BRAND_ID, str(uuid.uuid4()))], retry_seconds=0),
        )
        ids = [h.id for h in handles]
        assert [sorted(a) for a in answers] == [sorted(ids[:2]), [ids[2]], [ids[1]], [ids[2]], []]
        assert lookups.queries == 1
    finally:
        for handle in handles:
            await handle.terminate()


async def test_closed_workflows_are_not_signalled(dev_env):
    brand_id = str(uuid.uuid4())
    handle = await start_unworked(dev_env.client, SearchAttributePair(BRAND_ID, brand_id))
    await handle.terminate()
    app = create_app(relay_settings(relay_lookup_retry_seconds=1), client=dev_env.client)
    body = brand_event(brand_id=brand_id)
    assert (await post(app, body, signed(body))).json() == {"outcome": "unmatched"}


async def test_healthz_against_a_real_server_and_an_absent_one(dev_env):
    assert (await get(create_app(relay_settings(), client=dev_env.client), "/healthz")).status_code == 200

    async def connect_nowhere() -> Client:
        return await Client.connect("127.0.0.1:1", data_converter=pydantic_data_converter)

    app = create_app(relay_settings(relay_temporal_timeout_seconds=3), connect=connect_nowhere)
    assert (await get(app, "/healthz")).status_code == 503
    body = brand_event()
    assert (await post(app, body, signed(body))).status_code == 503


def test_the_signal_the_relay_sends_is_the_one_the_workflow_handles():
    # the relay names the signal by the contract's constant; a renamed handler would leave every
    # event unhandled (and the waits to their polls) without this check
    assert _SignalDefinition.must_name_from_fn_or_str(OnboardingWorkflow.bird_event) == BIRD_EVENT_SIGNAL
