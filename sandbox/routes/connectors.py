"""Connectors (create-connector.json, get-connector.json) and their readiness to send.

Installing the guide's SMS connector (`sms-messagebird:1`) needs a number of the workspace, an
APPROVED campaign (`useCaseId`) and a `channelMessageType`; the channel appears after a delay,
and the readiness check `useCaseStatus` turns `ok` once the carriers have linked the number.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bird.models import SMS_CONNECTOR_TEMPLATE
from bird.models.connectors import CHANNEL_MESSAGE_TYPES
from sandbox.core import Sandbox
from sandbox.errors import conflict, invalid
from sandbox.routing import BirdRoute, page, read_body, read_query, sandbox_of
from sandbox.state import Wire
from sandbox.validation import FieldError
from sandbox.wire import iso, new_id

router = APIRouter(route_class=BirdRoute)

# channelMessageType is required for SMS connectors and must be one of Bird's values
# (CHANNEL_MESSAGE_TYPES, from bird/openapi/create-connector.json).


def _check_sms_arguments(sandbox: Sandbox, body: dict[str, Any]) -> list[FieldError]:
    if body.get("connectorTemplateRef") != SMS_CONNECTOR_TEMPLATE:
        got = body.get("connectorTemplateRef")
        return [FieldError("connectorTemplateRef", f"the sandbox installs {SMS_CONNECTOR_TEMPLATE} only (got {got!r})")]
    arguments = body.get("arguments") or {}
    errors = []
    kind = arguments.get("channelMessageType")
    if kind not in CHANNEL_MESSAGE_TYPES:
        allowed = ", ".join(CHANNEL_MESSAGE_TYPES)
        errors.append(FieldError("arguments.channelMessageType", f"must be one of {allowed} (got {kind!r})"))
    number_id = arguments.get("phoneNumberId")
    if number_id not in sandbox.state.numbers:
        errors.append(FieldError("arguments.phoneNumberId", f"{number_id!r} is not a number of this workspace"))
    use_case_id = arguments.get("useCaseId")
    campaign = sandbox.state.campaigns.get(use_case_id or "")
    if campaign is None:
        errors.append(FieldError("arguments.useCaseId", f"{use_case_id!r} is not a campaign of this workspace"))
    elif campaign["status"] != "APPROVED":
        errors.append(FieldError("arguments.useCaseId", f"the campaign is {campaign['status']}; it must be APPROVED"))
    return errors


def _number_config(number: Wire) -> dict[str, Any]:
    return {
        "profileId": number["id"],
        "numberId": number["id"],
        "phoneNumber": number["numberString"],
        "capabilities": "mms-inbound,mms-outbound,sms-inbound,sms-outbound,voice-inbound,voice-outbound",
        "numberType": number.get("type", "local"),
        "endpointType": "long-code-number",
        "country": number.get("countryCode", "US"),
    }


@router.post("/workspaces/{workspaceId}/connectors", name="create_connector")
async def create_connector(request: Request, workspaceId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    body = await read_body(request, "create_connector")
    errors = _check_sms_arguments(sandbox, body)
    if errors:
        raise invalid(errors)
    number_id = body["arguments"]["phoneNumberId"]
    for existing in sandbox.state.connectors.values():
        if existing["arguments"].get("phoneNumberId") == number_id:
            # create-connector.json documents 409 "connector already exists"
            raise conflict(f"connector {existing['id']} is already installed for number {number_id}")
    now = iso()
    connector = {
        "id": new_id(),
        "workspaceId": workspaceId,
        "routingKey": None,
        "name": body["name"],
        "region": "us-east-1",
        "description": "",
        "arguments": body.get("arguments") or {},
        "channel": None,  # Bird creates the channel asynchronously
        "number": _number_config(sandbox.state.numbers[number_id]),
        "connectorTemplateSlug": "sms-messagebird",
        "connectorTemplateRef": body["connectorTemplateRef"],
        "createdAt": now,
        "updatedAt": now,
    }
    sandbox.state.connectors[connector["id"]] = connector
    sandbox.state.readiness[connector["id"]] = "warning"
    fee = sandbox.config.fees.connector
    sandbox.charge("connector", connector["id"], fee, "SMS connector install", "create_connector")
    sandbox.lifecycle.created("connector", connector)
    return JSONResponse(connector, status_code=201)


@router.get("/workspaces/{workspaceId}/connectors", name="list_connectors")
async def list_connectors(request: Request, workspaceId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    query = read_query(request, "list_connectors")
    return JSONResponse(page(list(sandbox.state.connectors.values()), query))


@router.get("/workspaces/{workspaceId}/connectors/{connectorId}", name="get_connector")
async def get_connector(request: Request, workspaceId: str, connectorId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    return JSONResponse(sandbox.find("connector", connectorId))


def _assertion(name: str, status: str, message: str | None = None) -> dict[str, Any]:
    out = {"name": name, "displayName": "", "description": "", "status": status}
    if message:
        out["message"] = message
    return out


def readiness(sandbox: Sandbox, connector: Wire) -> dict[str, Any]:
    """The connector's status checks. The guide shows only the `useCaseStatus` check (below,
    in its exact shape), not the document around it."""
    link = sandbox.state.readiness.get(connector["id"], "warning")
    campaign = sandbox.state.campaigns.get(connector["arguments"].get("useCaseId", ""), {})
    brand = sandbox.state.brands.get(campaign.get("brandId", ""), {})
    messages = {"warning": "Number status is INACTIVE", "error": "Number status is FAILED", "ok": None}
    use_case: dict[str, Any] = {
        "name": "useCaseStatus",
        "displayName": "UseCase Status",
        "assertions": [
            _assertion("brand", "ok" if brand.get("status") == "APPROVED" else "error"),
            _assertion("campaign", "ok" if campaign.get("status") == "APPROVED" else "error"),
            _assertion("checks whether number is linked to campaign", link, messages[link]),
        ],
    }
    use_case["status"] = _worst(a["status"] for a in use_case["assertions"])
    channel = "ok" if connector.get("channel") else "warning"
    channel_check = {
        "name": "channelStatus",
        "displayName": "Channel Status",
        "assertions": [_assertion("channel exists", channel, None if channel == "ok" else "Channel is being created")],
        "status": channel,
    }
    checks = [channel_check, use_case]
    return {"connectorId": connector["id"], "status": _worst(c["status"] for c in checks), "checks": checks}


def _worst(statuses: Any) -> str:
    order = {"ok": 0, "warning": 1, "error": 2}
    return max(statuses, key=lambda s: order[s], default="ok")


async def get_connector_readiness(request: Request, workspaceId: str, connectorId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    return JSONResponse(readiness(sandbox, sandbox.find("connector", connectorId)))


def readiness_router(path: str) -> APIRouter:
    """The readiness route at `path` (a template with `{workspaceId}` and `{connectorId}`): the
    guide does not give Bird's path, so it is configurable here as `BIRD_READINESS_PATH` is in
    the client."""
    readiness_routes = APIRouter(route_class=BirdRoute)
    readiness_routes.add_api_route(path, get_connector_readiness, methods=["GET"], name="get_connector_readiness")
    return readiness_routes
