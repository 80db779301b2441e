"""Brands and their vettings (create-workspace-brand.json, create-brand-vetting.json)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sandbox.errors import not_found, rule
from sandbox.routing import BirdRoute, page, read_body, read_query, sandbox_of
from sandbox.validation import load_spec
from sandbox.wire import iso, new_id

router = APIRouter(route_class=BirdRoute)

# The create schema (`Workspace`) does not forbid other fields, but a brand answers with
# `WorkspaceTCRBrand`'s only (additionalProperties: false) and its id, status etc. are Bird's:
# only the create schema's own fields are kept from a request.
_BRAND_FIELDS = frozenset(load_spec("create-workspace-brand.json")["components"]["schemas"]["Workspace"]["properties"])


@router.post("/workspaces/{workspaceId}/tcr-brands", name="create_brand")
async def create_brand(request: Request, workspaceId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    body = await read_body(request, "create_brand")
    now = iso()
    brand = {
        "id": new_id(),
        "organizationId": sandbox.config.organization_id,
        "createdAt": now,
        "updatedAt": now,
        "status": "PENDING",
        **{key: value for key, value in body.items() if key in _BRAND_FIELDS},
    }
    sandbox.state.brands[brand["id"]] = brand
    sandbox.charge("brand", brand["id"], sandbox.config.fees.brand, "brand registration", "create_brand")
    sandbox.lifecycle.created("brand", brand)
    return JSONResponse(brand, status_code=201)


@router.get("/workspaces/{workspaceId}/tcr-brands", name="list_brands")
async def list_brands(request: Request, workspaceId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    query = read_query(request, "list_brands")
    return JSONResponse(page(list(sandbox.state.brands.values()), query))


@router.get("/workspaces/{workspaceId}/tcr-brands/{brandId}", name="get_brand")
async def get_brand(request: Request, workspaceId: str, brandId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    return JSONResponse(sandbox.find("brand", brandId))


@router.patch("/workspaces/{workspaceId}/tcr-brands/{brandId}", name="update_brand")
async def update_brand(request: Request, workspaceId: str, brandId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    brand = sandbox.find("brand", brandId)
    body = await read_body(request, "update_brand")
    status = brand["status"]
    if status not in ("REJECTED", "FAILED"):
        # The sandbox models the one use the onboarding makes of "Update a brand": correcting a
        # brand TCR refused and sending it again.
        raise rule("status", f"the brand is {status}: only a REJECTED or FAILED brand can be corrected and resubmitted")
    now = iso()
    brand.update({key: value for key, value in body.items() if key in _BRAND_FIELDS})
    brand["status"] = "PENDING"
    brand["updatedAt"] = now
    brand.pop("rejection", None)
    fee = sandbox.config.fees.brand_resubmission
    if fee:
        # us-10dlc-installation: "If you later need to update or resubmit your brand there may be
        # additional fees."
        sandbox.charge("brand", brandId, fee, "brand resubmission", "update_brand")
    sandbox.lifecycle.announce("brand", brand)
    sandbox.lifecycle.submitted("brand", brandId)
    return JSONResponse(brand)


@router.post("/workspaces/{workspaceId}/tcr-brands/{brandId}/vettings", name="create_vetting")
async def create_vetting(request: Request, workspaceId: str, brandId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    brand = sandbox.find("brand", brandId)
    body = await read_body(request, "create_vetting")
    # Any brand may be vetted: Bird suggests vetting precisely when a brand is not getting approved.
    now = iso()
    vetting = {
        "id": new_id(),
        "brandId": brandId,
        "createdAt": now,
        "updatedAt": now,
        "status": "PENDING",
        "vettingProviderId": body.get("vettingProviderId", ""),
        "token": "",
        "score": "",
        "class": body["class"],
        "reasons": [],
    }
    sandbox.state.vettings[vetting["id"]] = vetting
    sandbox.charge("vetting", vetting["id"], sandbox.config.fees.vetting, f"{body['class']} vetting", "create_vetting")
    sandbox.lifecycle.created("vetting", vetting, {"brandDisplayName": brand.get("displayName", "")})
    return JSONResponse(vetting, status_code=201)


@router.get("/workspaces/{workspaceId}/tcr-brands/{brandId}/vettings", name="list_vettings")
async def list_vettings(request: Request, workspaceId: str, brandId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    sandbox.find("brand", brandId)
    query = read_query(request, "list_vettings")
    vettings = [v for v in sandbox.state.vettings.values() if v["brandId"] == brandId]
    return JSONResponse(page(vettings, query))


@router.get("/workspaces/{workspaceId}/tcr-brands/{brandId}/vettings/{vettingId}", name="get_vetting")
async def get_vetting(request: Request, workspaceId: str, brandId: str, vettingId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    sandbox.find("brand", brandId)
    vetting = sandbox.find("vetting", vettingId)
    if vetting["brandId"] != brandId:
        raise not_found("vetting", vettingId)  # another brand's: as unknown as a made-up id
    return JSONResponse(vetting)
