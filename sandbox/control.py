"""The control plane, under `/_sandbox/`: scenario, reviews decided on demand, faults, ledger,
deliveries, delivery routes, reset. No access key: it is the test's and the operator's side.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request

from sandbox import ledger
from sandbox.bodies import JsonRoute
from sandbox.errors import rule
from sandbox.faults import Faults
from sandbox.routing import sandbox_of
from sandbox.scenario import KINDS, STATUS_FOR, Kind, Override, Reason, Review, Scenario
from sandbox.wire import CamelModel


async def _running(request: Request) -> None:
    # A review decided here emits events: deliveries need the background work started.
    sandbox_of(request).ensure_running()


router = APIRouter(
    prefix="/_sandbox", tags=["sandbox control"], dependencies=[Depends(_running)], route_class=JsonRoute
)


class Decision(CamelModel):
    """A review decided now: `approve`, `reject`, `decline`, `fail` or `expire`, as the kind allows."""

    outcome: Literal["approve", "reject", "fail", "decline", "expire"]
    reason: Reason | None = None
    score: str | None = None


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    config = sandbox_of(request).config
    return {"status": "ok", "organizationId": config.organization_id, "workspaceId": config.workspace_id}


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    sandbox_of(request).reset()
    return {"status": "reset"}


@router.get("/requests")
async def requests_received(request: Request) -> dict[str, Any]:
    """Requests received per operation since the start or the last reset (faulted ones included)."""
    counts = sandbox_of(request).requests
    return {"requests": dict(sorted(counts.items())), "total": sum(counts.values())}


@router.get("/scenario")
async def get_scenario(request: Request) -> dict[str, Any]:
    return sandbox_of(request).state.scenario.model_dump(mode="json", exclude_none=True)


@router.put("/scenario")
async def put_scenario(request: Request, scenario: Scenario) -> dict[str, Any]:
    """Replace the scenario: what new objects will get (kinds left out: approve after the configured delay)."""
    sandbox = sandbox_of(request)
    sandbox.state.scenario = scenario
    sandbox.save()
    return scenario.model_dump(mode="json", exclude_none=True)


@router.post("/scenario/overrides")
async def add_override(request: Request, override: Override) -> dict[str, Any]:
    """Add one override after those already there (the first that matches an object wins)."""
    sandbox = sandbox_of(request)
    sandbox.state.scenario.overrides.append(override)
    sandbox.save()
    return sandbox.state.scenario.model_dump(mode="json", exclude_none=True)


@router.get("/objects")
async def list_objects(request: Request) -> dict[str, Any]:
    state = sandbox_of(request).state
    return {
        "numbers": list(state.numbers.values()),
        **{f"{kind}s": list(state.objects(kind).values()) for kind in KINDS},
        "readiness": state.readiness,
        "subscriptions": list(state.subscriptions.values()),
        "stockLeft": len(state.stock),
    }


@router.post("/objects/{kind}/{object_id}/review")
async def review(request: Request, kind: Kind, object_id: str, decision: Decision) -> dict[str, Any]:
    """Decide the object's review now (whatever the scenario planned), emitting its event.
    For a connector, `approve` links its number (useCaseStatus ok, channel active)."""
    sandbox = sandbox_of(request)
    sandbox.find(kind, object_id)
    if decision.outcome not in STATUS_FOR[kind]:
        allowed = sorted(STATUS_FOR[kind])
        raise rule("outcome", f"{decision.outcome!r} is not an outcome for a {kind}; use one of {allowed}")
    result = sandbox.lifecycle.review_now(kind, object_id, Review(**decision.model_dump()))
    return {"kind": kind, "object": result, "readiness": sandbox.state.readiness.get(object_id)}


@router.get("/pending")
async def pending(request: Request) -> dict[str, Any]:
    """Scheduled transitions (due as Unix time) and the review each object would get next."""
    sandbox = sandbox_of(request)
    jobs = sorted(sandbox.state.schedule, key=lambda job: job.due)
    return {"jobs": [job.model_dump(mode="json") for job in jobs]}


@router.get("/faults")
async def get_faults(request: Request) -> dict[str, Any]:
    return sandbox_of(request).state.faults.model_dump(mode="json")


@router.put("/faults")
async def put_faults(request: Request, faults: Faults) -> dict[str, Any]:
    """Replace every fault (and reseed the generators)."""
    sandbox = sandbox_of(request)
    sandbox.set_faults(faults)
    return faults.model_dump(mode="json")


@router.delete("/faults")
async def clear_faults(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    sandbox.set_faults(Faults())
    return sandbox.state.faults.model_dump(mode="json")


@router.get("/ledger")
async def get_ledger(
    request: Request,
    kind: Annotated[str | None, Query()] = None,
    object_id: Annotated[str | None, Query(alias="objectId")] = None,
) -> dict[str, Any]:
    entries = [
        e
        for e in sandbox_of(request).state.ledger
        if (kind is None or e.kind == kind) and (object_id is None or e.object_id == object_id)
    ]
    return ledger.summary(entries)


@router.get("/deliveries")
async def deliveries(
    request: Request,
    subscription_id: Annotated[str | None, Query(alias="subscriptionId")] = None,
    event: str | None = None,
    status: str | None = None,
    object_id: Annotated[str | None, Query(alias="objectId")] = None,
) -> dict[str, Any]:
    """Every delivery (oldest first) with its attempts; filters combine."""
    wanted = dict(subscription_id=subscription_id, event=event, status=status, object_id=object_id)
    found = [
        d
        for d in sandbox_of(request).state.deliveries
        if all(value is None or getattr(d, name) == value for name, value in wanted.items())
    ]
    return {"deliveries": [d.model_dump(mode="json") for d in found]}


@router.get("/delivery-routes")
async def get_routes(request: Request) -> dict[str, str]:
    return sandbox_of(request).state.delivery_routes


@router.put("/delivery-routes")
async def put_routes(request: Request, routes: Annotated[dict[str, str], Body()]) -> dict[str, str]:
    """Replace the delivery routes: subscription URL (or "*") -> the URL to POST to instead."""
    sandbox = sandbox_of(request)
    for public, local in routes.items():
        if not local.startswith(("http://", "https://")):
            raise rule(public, f"{local!r} is not an http(s) URL")
    sandbox.state.delivery_routes = dict(routes)
    sandbox.save()
    return sandbox.state.delivery_routes
