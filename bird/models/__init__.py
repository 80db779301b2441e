"""Pydantic models of Bird's API, one module per resource, mirroring bird/openapi/*.json."""

from bird.models._base import BirdRequest, BirdResponse, Page
from bird.models.brands import (
    Brand,
    BrandCreate,
    BrandPatch,
    BrandStatus,
    Rejection,
    Vetting,
    VettingCreate,
    VettingStatus,
)
from bird.models.campaigns import Campaign, CampaignCreate, CampaignPatch, CampaignStatus, Reseller
from bird.models.connectors import (
    SMS_CONNECTOR_TEMPLATE,
    Check,
    Connector,
    ConnectorCreate,
    ConnectorReadiness,
)
from bird.models.errors import ErrorBody
from bird.models.numbers import BuyNumbersRequest, NumberStockItem, StockItemQuery, WorkspaceNumber
from bird.models.webhooks import (
    WebhookEnvelope,
    WebhookEventFilter,
    WebhookSubscription,
    WebhookSubscriptionCreate,
)

__all__ = [
    "BirdRequest", "BirdResponse", "Page",
    "Brand", "BrandCreate", "BrandPatch", "BrandStatus", "Rejection", "Vetting", "VettingCreate", "VettingStatus",
    "Campaign", "CampaignCreate", "CampaignPatch", "CampaignStatus", "Reseller",
    "SMS_CONNECTOR_TEMPLATE", "Check", "Connector", "ConnectorCreate", "ConnectorReadiness",
    "ErrorBody",
    "BuyNumbersRequest", "NumberStockItem", "StockItemQuery", "WorkspaceNumber",
    "WebhookEnvelope", "WebhookEventFilter", "WebhookSubscription", "WebhookSubscriptionCreate",
]  # fmt: skip
