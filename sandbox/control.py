"""The control plane, under `/_sandbox/`: scenario, reviews decided on demand, faults, ledger,
deliveries, delivery routes, reset. No access key: it is the test's and the operator's side.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import Field

from sandbox import ledger
from sandbox.bodies import JsonRoute
from sandbox.errors import rule
from sandbox.faults import Faults
from sandbox.ratelimit import RateLimit
from sandbox.routing import sandbox_of
from sandbox.scenario import KINDS, STATUS_FOR, Kind, Override, Reason, Review, Scenario
from sandbox.stock import matches
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


@router.get("/stats")
async def stats(request: Request) -> dict[str, Any]:
    """API calls received per operation (refused ones included) and, of those, the ones answered
    429 for the organization's rate limit; since the start or the last reset."""
    sandbox = sandbox_of(request)
    limit = sandbox.state.rate_limit
    return {
        "requests": dict(sorted(sandbox.requests.items())),
        "total": sum(sandbox.requests.values()),
        "rateLimited": dict(sorted(sandbox.rate_limited.items())),
        "rateLimitedTotal": sum(sandbox.rate_limited.values()),
        "rateLimit": limit.model_dump(mode="json") if limit else None,
    }


@router.get("/rate-limit")
async def get_rate_limit(request: Request) -> dict[str, Any] | None:
    limit = sandbox_of(request).state.rate_limit
    return limit.model_dump(mode="json") if limit else None


@router.put("/rate-limit")
async def put_rate_limit(request: Request, limit: RateLimit) -> dict[str, Any]:
    """Limit the organization's API requests to `perSecond` (bursts of `burst`); a full bucket to start."""
    sandbox_of(request).set_rate_limit(limit)
    return limit.model_dump(mode="json")


@router.delete("/rate-limit")
async def clear_rate_limit(request: Request) -> None:
    sandbox_of(request).set_rate_limit(None)


class Sale(CamelModel):
    """Stock bought by another customer of Bird: the listed items, and/or the first `count` items
    (in number order) under `prefix` (area-code digits or an E.164 prefix, as the list filter)."""

    number_stock_item_ids: list[str] = Field(default_factory=list)
    prefix: Annotated[str, Field(pattern=r"^\+?[0-9]{1,15}$")] | None = None
    count: Annotated[int, Field(ge=1, le=100_000)] | None = None
    buyer: Annotated[str, Field(min_length=1, max_length=200)] = "another customer"


@router.post("/stock/sell")
async def sell_stock(request: Request, sale: Sale) -> dict[str, Any]:
    """Take stock away as another buyer would between a client's list and its buy: a buy naming
    a sold item is then Bird's 422."""
    sandbox = sandbox_of(request)
    stock_items = sandbox.state.stock
    unknown = [item_id for item_id in sale.number_stock_item_ids if item_id not in stock_items]
    if unknown:
        raise rule("numberStockItemIds", f"not in stock: {', '.join(unknown)}")
    if (sale.prefix is None) != (sale.count is None):
        raise rule("count" if sale.count is None else "prefix", "prefix and count go together")
    chosen = list(dict.fromkeys(sale.number_stock_item_ids))
    if sale.prefix is not None and sale.count is not None:
        query = {"prefix": sale.prefix}
        under = sorted((i for i in stock_items.values() if matches(i, query)), key=lambda i: i["numberString"])
        chosen += [i["id"] for i in under if i["id"] not in chosen][: sale.count]
    for item_id in chosen:
        del stock_items[item_id]
        sandbox.state.sold[item_id] = sale.buyer
    sandbox.save()
    return {"sold": chosen, "stockLeft": len(stock_items)}


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
