"""Numbers: the organization's stock of numbers and the workspace's long-code numbers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from bird.models._base import BirdRequest, BirdResponse, Uuid

# bird/openapi/list-numbers-stock-items.json
NumberType = Literal["local", "national", "toll-free", "mobile"]
NumberFeature = Literal[
    "voice-outbound", "voice-inbound", "sms-outbound", "sms-inbound", "mms-outbound", "mms-inbound", "whatsapp"
]
Currency = Literal["EUR", "USD", "GBP", "AUD", "SGD", "IDR", "INR", "MXN"]


class Money(BirdResponse):
    currency_code: str
    amount: int
    exponent: Annotated[int, Field(ge=-10)]

    @property
    def value(self) -> float:
        return self.amount * 10.0**self.exponent


class Capability(BirdResponse):
    inbound: bool
    outbound: bool


class PhoneNumberCapabilities(BirdResponse):
    voice: Capability
    sms: Capability
    mms: Capability
    whatsapp: Capability | None = None


class StockItemQuery(BirdRequest):
    """Query of `GET /organizations/{organizationId}/numbers-stock-items`."""

    limit: Annotated[int, Field(ge=1, le=99)] | None = None
    page_token: Annotated[str, Field(max_length=8000)] | None = None
    country_codes: list[str] | None = None
    types: list[NumberType] | None = None
    features: Annotated[list[NumberFeature], Field(min_length=1)] | None = None
    # Bird: "Must be used together with the countryCodes filter."
    prefix: Annotated[str, Field(min_length=1, max_length=250)] | None = None
    testing: bool | None = None


class NumberStockItem(BirdResponse):
    id: str
    country_code: str
    type: str
    number_string: str
    capabilities: PhoneNumberCapabilities
    monthly_price: Money | None = None
    back_order_required: bool | None = None


class BuyNumbersRequest(BirdRequest):
    """Body of `POST /workspaces/{workspaceId}/numbers-long-code` (bills a monthly subscription)."""

    # bird/openapi/buy-long-code-numbers.json: up to 25 uuids
    number_stock_item_ids: Annotated[list[Uuid], Field(max_length=25)]


class WorkspaceNumber(BirdResponse):
    """A long-code number owned by the workspace."""

    id: str
    endpoint_id: str | None = None
    number_string: str
    country_code: str | None = None
    type: str | None = None
    created_at: str | None = None
