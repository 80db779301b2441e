"""The relay's memory of routes (relay/routing.py `Routes`): an object's later events go straight
to the signal, and a route is forgotten when its workflow is gone or the route has aged out."""

from __future__ import annotations

from relay.routing import Routes
from tests.relay.fakes import FakeTemporal
from tests.relay.helpers import BRAND_ID, app_with, brand_event, post, signed

WORKFLOW_ID = "onboarding-acme-sms"


def _temporal() -> FakeTemporal:
    fake = FakeTemporal()
    fake.add(WORKFLOW_ID, BirdBrandId=BRAND_ID)
    return fake


async def _deliver(app, status: str, updated_at: str) -> str:
    body = brand_event(status=status, updated_at=updated_at)
    return (await post(app, body, signed(body))).json()["outcome"]


async def test_an_objects_later_events_need_no_lookup():
    temporal = _temporal()
    app = app_with(temporal)
    for i, status in enumerate(("PENDING", "PENDING", "APPROVED")):
        assert await _deliver(app, status, f"2025-03-27T09:0{i}:00Z") == "signalled"
    assert len(temporal.queries) == 1
    assert [e.payload["status"] for _, _, e in temporal.signals] == ["PENDING", "PENDING", "APPROVED"]


async def test_an_unmatched_object_is_not_remembered():
    temporal = FakeTemporal()
    app = app_with(temporal)
    # (PENDING ends no wait: one look, then acknowledged as such)
    assert await _deliver(app, "PENDING", "2025-03-27T09:00:00Z") == "unmatched_undecided"
    temporal.add(WORKFLOW_ID, BirdBrandId=BRAND_ID)  # the onboarding recorded the brand since
    assert await _deliver(app, "APPROVED", "2025-03-27T09:01:00Z") == "signalled"
    assert len(temporal.queries) == 2


async def test_a_route_to_a_closed_workflow_is_forgotten():
    temporal = _temporal()
    app = app_with(temporal)
    assert await _deliver(app, "PENDING", "2025-03-27T09:00:00Z") == "signalled"
    temporal.closed.add(WORKFLOW_ID)
    # The remembered route meets NOT_FOUND: nothing signalled, and the route is dropped ...
    assert await _deliver(app, "APPROVED", "2025-03-27T09:01:00Z") == "unmatched"
    assert len(app.state.routes) == 0
    # ... so that the next event looks again, and finds the onboarding that took the brand up.
    temporal.add("onboarding-second-campaign", BirdBrandId=BRAND_ID)
    assert await _deliver(app, "APPROVED", "2025-03-27T09:02:00Z") == "signalled"
    assert len(temporal.queries) == 2
    assert temporal.signals[-1][0] == "onboarding-second-campaign"


async def test_routes_can_be_turned_off():
    temporal = _temporal()
    app = app_with(temporal, relay_route_cache_size=0)
    for i in range(2):
        assert await _deliver(app, "PENDING", f"2025-03-27T09:0{i}:00Z") == "signalled"
    assert len(temporal.queries) == 2


def test_routes_are_bounded_and_age_out():
    now = [0.0]
    routes = Routes(size=2, ttl_seconds=60, clock=lambda: now[0])
    routes.put("a", ["wf-a"])
    routes.put("b", ["wf-b"])
    assert routes.get("a") == ["wf-a"]  # a is now the most recently used
    routes.put("c", ["wf-c"])
    assert (routes.get("a"), routes.get("b"), routes.get("c")) == (["wf-a"], None, ["wf-c"])
    now[0] = 61.0
    assert routes.get("a") is None and len(routes) == 1
    routes.put("d", [])  # nothing found: nothing to remember
    assert routes.get("d") is None
