"""Campaigns (create-campaign.json), their resubmission by PATCH, and resellers (list-resellers.json)."""

from __future__ import annotations

import mimetypes
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sandbox.core import Sandbox
from sandbox.errors import not_found, rule
from sandbox.routing import BirdRoute, page, read_body, read_query, sandbox_of
from sandbox.state import Wire
from sandbox.wire import iso, new_id

router = APIRouter(route_class=BirdRoute)


def _attachments(urls: list[str], now: str) -> list[dict[str, Any]]:
    """`attachmentUrls` in a request become `attachments` in the campaign (Bird fetches them)."""
    out = []
    for url in urls:
        filename = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "attachment"
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        out.append(
            {
                "id": new_id(),
                "status": "ACTIVE",
                "createdAt": now,
                "updatedAt": now,
                "filename": filename,
                "mediaUrl": url,
                "contentType": content_type,
            }
        )
    return out


def _apply_fields(campaign: Wire, body: dict[str, Any], now: str) -> None:
    for key, value in body.items():
        if key == "attachmentUrls":
            campaign["attachments"] = _attachments(value, now)
        elif value is None:
            campaign.pop(key, None)  # `resellerId: null` removes the reseller
        else:
            campaign[key] = value


def _check_reseller(sandbox: Sandbox, body: dict[str, Any]) -> None:
    reseller_id = body.get("resellerId")
    if reseller_id is None:
        return
    reseller = sandbox.state.resellers.get(reseller_id)
    # bird/openapi/create-campaign.json: "The specified reseller MUST be ACTIVE."
    if reseller is None or reseller.get("status") != "ACTIVE":
        raise rule("resellerId", f"{reseller_id} is not an ACTIVE reseller of this workspace")


def _campaign_of(sandbox: Sandbox, workspace_id: str, brand_id: str, campaign_id: str) -> Wire:
    sandbox.check_workspace(workspace_id)
    sandbox.find("brand", brand_id)
    campaign = sandbox.find("campaign", campaign_id)
    if campaign["brandId"] != brand_id:
        raise not_found("campaign", campaign_id)
    return campaign


@router.post("/workspaces/{workspaceId}/tcr-brands/{brandId}/campaigns", name="create_campaign")
async def create_campaign(request: Request, workspaceId: str, brandId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    brand = sandbox.find("brand", brandId)
    body = await read_body(request, "create_campaign")
    if brand["status"] != "APPROVED":
        # "A campaign can only be created for an approved brand." The fragment documents only 422
        # for a refused create, so that is what a brand in another status gets.
        raise rule("brandId", f"the brand is {brand['status']}; a campaign can only be created for an APPROVED brand")
    _check_reseller(sandbox, body)
    now = iso()
    campaign: Wire = {"id": new_id(), "subscription": None, "status": "PENDING", "attachments": []}
    _apply_fields(campaign, body, now)
    campaign.update(brandId=brandId, createdAt=now, updatedAt=now)
    sandbox.state.campaigns[campaign["id"]] = campaign
    fees = sandbox.config.fees
    commitment = fees.campaign_monthly * fees.campaign_commitment_months
    sandbox.charge(
        "campaign",
        campaign["id"],
        fees.campaign_registration + commitment,
        f"campaign registration {fees.campaign_registration} + {fees.campaign_commitment_months}-month "
        f"minimum commitment {commitment}",
        "create_campaign",
    )
    sandbox.lifecycle.created("campaign", campaign, {"brandDisplayName": brand.get("displayName", "")})
    return JSONResponse(campaign, status_code=201)


@router.get("/workspaces/{workspaceId}/tcr-brands/{brandId}/campaigns", name="list_campaigns")
async def list_campaigns(request: Request, workspaceId: str, brandId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    sandbox.find("brand", brandId)
    query = read_query(request, "list_campaigns")
    campaigns = [c for c in sandbox.state.campaigns.values() if c["brandId"] == brandId]
    return JSONResponse(page(campaigns, query))


@router.get("/workspaces/{workspaceId}/tcr-brands/{brandId}/campaigns/{campaignId}", name="get_campaign")
async def get_campaign(request: Request, workspaceId: str, brandId: str, campaignId: str) -> JSONResponse:
    return JSONResponse(_campaign_of(sandbox_of(request), workspaceId, brandId, campaignId))


@router.patch("/workspaces/{workspaceId}/tcr-brands/{brandId}/campaigns/{campaignId}", name="patch_campaign")
async def patch_campaign(request: Request, workspaceId: str, brandId: str, campaignId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    campaign = _campaign_of(sandbox, workspaceId, brandId, campaignId)
    body = await read_body(request, "patch_campaign")
    status = campaign["status"]
    if status != "DECLINED":
        # Bird's 10DLC events page: "only campaigns with DECLINED status are eligible to be
        # resubmitted. All other campaign rejections will require a new campaign to be created."
        advice = "; create a new campaign instead" if status in ("REJECTED", "FAILED") else ""
        raise rule("status", f"the campaign is {status}: only a DECLINED campaign can be resubmitted{advice}")
    _check_reseller(sandbox, body)
    now = iso()
    _apply_fields(campaign, body, now)
    campaign["status"] = "PENDING"
    campaign["updatedAt"] = now
    campaign.pop("rejection", None)
    fee = sandbox.config.fees.campaign_resubmission
    if fee:
        sandbox.charge("campaign", campaignId, fee, "campaign resubmission", "patch_campaign")
    sandbox.lifecycle.announce("campaign", campaign)
    sandbox.lifecycle.submitted("campaign", campaignId)
    return JSONResponse(campaign)


@router.get("/workspaces/{workspaceId}/tcr-resellers", name="list_resellers")
async def list_resellers(request: Request, workspaceId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    query = read_query(request, "list_resellers")
    resellers = list(sandbox.state.resellers.values())
    if query.get("reverse"):
        resellers.reverse()
    return JSONResponse(page(resellers, query))
