"""Webhook subscriptions (create-webhook-subscription.json): create and list.

The schema's URL pattern admits only public https URLs, as Bird requires; local receivers are
reached through delivery routes (see `sandbox.webhooks`).
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sandbox.routing import BirdRoute, page, read_body, read_query, sandbox_of
from sandbox.wire import iso, new_id

router = APIRouter(route_class=BirdRoute)
PATH = "/organizations/{organizationId}/workspaces/{workspaceId}/webhook-subscriptions"


@router.post(PATH, name="create_webhook_subscription")
async def create_webhook_subscription(request: Request, organizationId: str, workspaceId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_organization(organizationId)
    sandbox.check_workspace(workspaceId)
    body = await read_body(request, "create_webhook_subscription")
    now = iso()
    subscription = {
        "id": new_id(),
        "organizationId": organizationId,
        "workspaceId": workspaceId,
        "service": body["service"],
        "event": body["event"],
        "eventFilters": body.get("eventFilters") or [],
        "url": body["url"],
        # the signing key is optional; without one Bird's subscription still signs, with its own
        "signingKey": body.get("signingKey") or secrets.token_urlsafe(24),
        "status": "active",
        "createdAt": now,
        "updatedAt": now,
    }
    if "template" in body:
        subscription["template"] = body["template"]
    sandbox.state.subscriptions[subscription["id"]] = subscription
    return JSONResponse(subscription, status_code=201)


@router.get(PATH, name="list_webhook_subscriptions")
async def list_webhook_subscriptions(request: Request, organizationId: str, workspaceId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_organization(organizationId)
    sandbox.check_workspace(workspaceId)
    query = read_query(request, "list_webhook_subscriptions")
    return JSONResponse(page(list(sandbox.state.subscriptions.values()), query))
