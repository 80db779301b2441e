"""Brands and their vettings with The Campaign Registry, through Bird.

Both creates are billed and Bird has no idempotency keys, so a retried create first lists what exists
and returns a match: only an object created after this onboarding first scheduled the create, with
the same content, can be the answer it lost (`Ownership`).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field
from temporalio import activity

from activities.base import ObjectRef, Ownership, bird_operation, rejection_text, validated
from activities.errors import not_yet
from bird.client import BirdClient
from bird.models import Brand, BrandCreate, BrandPatch, Vetting, VettingCreate
from bird.statuses import APPROVED, EXPIRED, IN_PROGRESS


class CreateBrandInput(BaseModel):
    workspace_id: str
    body: dict[str, Any]  # Bird's tcr-brands create body, camelCase
    ownership: Ownership = Ownership()


class BrandQuery(BaseModel):
    workspace_id: str
    brand_id: str


class UpdateBrandInput(BaseModel):
    workspace_id: str
    brand_id: str
    body: dict[str, Any]  # the fields to change, Bird's camelCase (BrandPatch)


class CreateVettingInput(BaseModel):
    workspace_id: str
    brand_id: str
    body: dict[str, Any]  # Bird's vettings create body: {"class": ..., "vettingProviderId": ...}
    ownership: Ownership = Ownership()
    # Vettings this onboarding gave up for a new one (rejected, still billed): never matched again.
    exclude_ids: list[str] = Field(default_factory=list)


class VettingQuery(BaseModel):
    workspace_id: str
    brand_id: str
    vetting_id: str


def _digits(value: str | None) -> str:
    # "12-3456789" and "123456789" are the same EIN
    return re.sub(r"\D", "", value or "")


def brand_ref(brand: Brand, *, created: bool = True) -> ObjectRef:
    return ObjectRef(
        id=brand.id,
        status=brand.status,
        updated_at=brand.updated_at,
        reason=rejection_text(brand.rejection),
        created=created,
    )


def vetting_ref(vetting: Vetting, *, created: bool = True) -> ObjectRef:
    return ObjectRef(
        id=vetting.id,
        status=vetting.status,
        updated_at=vetting.updated_at,
        reason=rejection_text(vetting.rejection, vetting.reasons),
        created=created,
    )


class BrandActivities:
    def __init__(self, bird: BirdClient) -> None:
        self._bird = bird  # holds the access key; it never travels in a payload

    @activity.defn
    @bird_operation
    async def create_brand(self, req: CreateBrandInput) -> ObjectRef:
        """Register the brand, or return the one a lost answer registered: this displayName and EIN,
        created since the onboarding first scheduled the create."""
        body = validated(BrandCreate, req.body, "create_brand")
        if req.ownership.must_look():
            async for brand in self._bird.each_brand(req.workspace_id):
                if (
                    brand.status != "DELETED"
                    and (brand.display_name or "").strip() == body.display_name.strip()
                    and _digits(brand.ein) == _digits(body.ein)
                    and req.ownership.may_be_ours(brand.created_at)
                ):
                    return brand_ref(brand, created=False)
            req.ownership.found_nothing()
        return brand_ref(await self._bird.create_brand(req.workspace_id, body))

    @activity.defn
    @bird_operation
    async def get_brand(self, req: BrandQuery) -> ObjectRef:
        """The brand now, with its rejection reason when it has one."""
        return brand_ref(await self._bird.get_brand(req.workspace_id, req.brand_id))

    @activity.defn
    @bird_operation
    async def poll_brand(self, req: BrandQuery) -> ObjectRef:
        """The brand once TCR has decided; `NotYet` (retried with backoff) while it is pending."""
        ref = brand_ref(await self._bird.get_brand(req.workspace_id, req.brand_id))
        if ref.status is None or ref.status in IN_PROGRESS:
            raise not_yet(f"brand {req.brand_id} is {ref.status}", ref.model_dump())
        return ref

    @activity.defn
    @bird_operation
    async def update_brand(self, req: UpdateBrandInput) -> ObjectRef:
        """Correct a REJECTED or FAILED brand and send it to TCR again.

        A resubmission may be billed and is not idempotent: a brand already back under review (or
        approved) was resubmitted by an earlier attempt whose answer was lost, and is returned as it
        is (`created=False`) instead of being sent again.
        """
        body = validated(BrandPatch, req.body, "update_brand")
        current = await self._bird.get_brand(req.workspace_id, req.brand_id)
        if current.status in IN_PROGRESS or current.status == APPROVED:
            return brand_ref(current, created=False)
        return brand_ref(await self._bird.update_brand(req.workspace_id, req.brand_id, body))

    @activity.defn
    @bird_operation
    async def create_vetting(self, req: CreateVettingInput) -> ObjectRef:
        """Ask for external vetting, or return the brand's vetting of this class and provider.

        An EXPIRED vetting does not count: asking again is then the point of the request.
        """
        body = validated(VettingCreate, req.body, "create_vetting")
        if req.ownership.must_look():
            async for vetting in self._bird.each_vetting(req.workspace_id, req.brand_id):
                if (
                    vetting.id not in req.exclude_ids
                    and vetting.status != EXPIRED
                    and (vetting.vetting_class or body.vetting_class) == body.vetting_class
                    and (vetting.vetting_provider_id or "") == (body.vetting_provider_id or vetting.vetting_provider_id or "")
                    and req.ownership.may_be_ours(vetting.created_at)
                ):
                    return vetting_ref(vetting, created=False)
            req.ownership.found_nothing()
        return vetting_ref(await self._bird.create_vetting(req.workspace_id, req.brand_id, body))

    @activity.defn
    @bird_operation
    async def get_vetting(self, req: VettingQuery) -> ObjectRef:
        return vetting_ref(await self._bird.get_vetting(req.workspace_id, req.brand_id, req.vetting_id))

    @activity.defn
    @bird_operation
    async def poll_vetting(self, req: VettingQuery) -> ObjectRef:
        ref = vetting_ref(await self._bird.get_vetting(req.workspace_id, req.brand_id, req.vetting_id))
        if ref.status is None or ref.status in IN_PROGRESS:
            raise not_yet(f"vetting {req.vetting_id} is {ref.status}", ref.model_dump())
        return ref
