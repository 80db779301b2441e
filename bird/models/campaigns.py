"""10DLC campaigns (use cases) under an approved brand, and the resellers they may name."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from bird.models._base import BirdRequest, BirdResponse, UniqueItems, Uuid, all_optional
from bird.models.brands import Rejection

CampaignStatus = Literal[
    "DRAFT", "FAILED", "PENDING", "REJECTED", "APPROVED", "DECLINED", "SUSPENDED", "DELETED", "EXPIRED"
]

# bird/openapi/create-campaign.json puts `minItems: 1, maxItems: 5` on the *items* of
# `samples` (and `maxItems: 5` on those of `attachmentUrls`), where JSON Schema ignores them; the
# descriptions ("Between 1-5 sample messages", "Up to 5 attachment URLs") say they bound the array.
Samples = Annotated[list[str], Field(min_length=1, max_length=5)]
AttachmentUrls = Annotated[list[str], Field(max_length=5), UniqueItems]


class CampaignCreate(BirdRequest):
    """Body of `POST /workspaces/{ws}/tcr-brands/{brandId}/campaigns`.

    Bills a registration fee and a three-month minimum commitment. Lengths are Bird's:
    description 40-4096, messageFlow 40-2048, helpMessage 20-255, opt-in/out messages >= 20.

    Note: the example campaign in Bird's own guide ("Internal use case for TEST ONLY",
    31 characters) is *invalid* under this schema: Bird's API refuses a description under
    40 characters. Our models follow the schema, not the example.

    `subUsecases` needs 2-5 entries for MIXED / LOW_VOLUME in Bird's prose, but the schema
    does not enforce it: that rule lives in the pre-flight checks.
    """

    name: str
    usecase: Annotated[str, Field(max_length=50)]
    sub_usecases: Annotated[list[str], UniqueItems] | None = None
    description: Annotated[str, Field(min_length=40, max_length=4096)]
    embedded_link: bool | None = None
    embedded_phone: bool | None = None
    number_pool: bool | None = None
    age_gated: bool | None = None
    direct_lending: bool | None = None
    subscriber_optin: bool | None = None
    subscriber_optout: bool | None = None
    subscriber_help: bool | None = None
    samples: Samples
    attachment_urls: AttachmentUrls | None = None
    message_flow: Annotated[str, Field(min_length=40, max_length=2048)]
    help_message: Annotated[str, Field(min_length=20, max_length=255)]
    help_keywords: str | None = None
    optout_keywords: str | None = None
    optin_keywords: str | None = None
    optin_message: Annotated[str, Field(min_length=20)] | None = None
    optout_message: Annotated[str, Field(min_length=20)] | None = None
    # `enum: [true]`: the CTIA attestation must be given explicitly
    terms_and_conditions: Literal[True]
    reseller_id: Uuid | None = None


CampaignPatch = all_optional(
    CampaignCreate,
    "CampaignPatch",
    """Body of `PATCH …/campaigns/{campaignId}`: the fields of a create, each optional.

    Used to resubmit a DECLINED campaign; the same lengths apply to what is sent.
    """,
    __name__,
)


class CampaignSubscription(BirdResponse):
    status: str | None = None
    subscribed_at: str | None = None
    cancelled_at: str | None = None


class Campaign(BirdResponse):
    """A campaign as Bird returns it; `rejection` is only readable here, never in events."""

    id: str
    name: str | None = None
    status: str | None = None
    brand_id: str | None = None
    usecase: str | None = None
    subscription: CampaignSubscription | None = None
    rejection: Rejection | None = None
    created_at: str | None = None
    updated_at: str | None = None


class Reseller(BirdResponse):
    id: str | None = None
    status: str | None = None
    company_name: str
    phone: str
    email: str

