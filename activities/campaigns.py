"""Campaigns (10DLC use cases) under an approved brand.

A create bills a registration fee and a three-month commitment, and Bird has no idempotency keys:
a retried create first lists the brand's campaigns and returns the one with our name created since
the onboarding first scheduled the create (`Ownership`), never another onboarding's.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from temporalio import activity

from activities.base import ObjectRef, Ownership, bird_operation, rejection_text, validated
from activities.errors import not_yet
from bird.client import BirdClient
from bird.models import Campaign, CampaignCreate, CampaignPatch
from bird.statuses import APPROVED, IN_PROGRESS


class CreateCampaignInput(BaseModel):
    workspace_id: str
    brand_id: str
    body: dict[str, Any]  # Bird's campaigns create body, camelCase
    # Campaigns this onboarding gave up (rejected ones it replaces): never "found" as the match.
    exclude_ids: list[str] = Field(default_factory=list)
    ownership: Ownership = Ownership()


class PatchCampaignInput(BaseModel):
    workspace_id: str
    brand_id: str
    campaign_id: str
    body: dict[str, Any]  # the fields to change, Bird's camelCase (CampaignPatch)


class CampaignQuery(BaseModel):
    workspace_id: str
    brand_id: str
    campaign_id: str


def campaign_ref(campaign: Campaign, *, created: bool = True) -> ObjectRef:
    return ObjectRef(
        id=campaign.id,
        status=campaign.status,
        updated_at=campaign.updated_at,
        reason=rejection_text(campaign.rejection),
        created=created,
    )


class CampaignActivities:
    def __init__(self, bird: BirdClient) -> None:
        self._bird = bird  # holds the access key; it never travels in a payload

    @activity.defn
    @bird_operation
    async def create_campaign(self, req: CreateCampaignInput) -> ObjectRef:
        """Register the campaign, or return the brand's campaign of the same name."""
        body = validated(CampaignCreate, req.body, "create_campaign")
        if req.ownership.must_look():
            async for campaign in self._bird.each_campaign(req.workspace_id, req.brand_id):
                if campaign.id in req.exclude_ids:
                    continue
                if (
                    campaign.status != "DELETED"
                    and (campaign.name or "").strip() == body.name.strip()
                    and req.ownership.may_be_ours(campaign.created_at)
                ):
                    return campaign_ref(campaign, created=False)
            req.ownership.found_nothing()
        return campaign_ref(await self._bird.create_campaign(req.workspace_id, req.brand_id, body))

    @activity.defn
    @bird_operation
    async def patch_campaign(self, req: PatchCampaignInput) -> ObjectRef:
        """Correct a DECLINED campaign and resubmit it (Bird's 10DLC events page: only a DECLINED campaign can be).

        Like a create, a resubmission may be billed: a campaign already back under review (or
        approved) was resubmitted by an earlier attempt whose answer was lost, and is returned as it
        is (`created=False`). Any other status is Bird's to refuse (422 naming `status`).
        """
        body = validated(CampaignPatch, req.body, "patch_campaign")
        current = await self._bird.get_campaign(req.workspace_id, req.brand_id, req.campaign_id)
        if current.status in IN_PROGRESS or current.status == APPROVED:
            return campaign_ref(current, created=False)
        return campaign_ref(await self._bird.patch_campaign(req.workspace_id, req.brand_id, req.campaign_id, body))

    @activity.defn
    @bird_operation
    async def get_campaign(self, req: CampaignQuery) -> ObjectRef:
        """The campaign now, with its rejection reason when it has one."""
        return campaign_ref(await self._bird.get_campaign(req.workspace_id, req.brand_id, req.campaign_id))

    @activity.defn
    @bird_operation
    async def poll_campaign(self, req: CampaignQuery) -> ObjectRef:
        """The campaign once TCR and the carriers have decided; `NotYet` while it is draft or pending."""
        ref = campaign_ref(await self._bird.get_campaign(req.workspace_id, req.brand_id, req.campaign_id))
        if ref.status is None or ref.status in IN_PROGRESS:
            raise not_yet(f"campaign {req.campaign_id} is {ref.status}", ref.model_dump())
        return ref
