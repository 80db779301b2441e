"""10DLC brands and their vettings, as registered with The Campaign Registry through Bird."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from bird.models._base import BirdRequest, BirdResponse, all_optional

# bird/openapi/create-workspace-brand.json (the empty string is in Bird's own enums)
EntityType = Literal["PRIVATE_PROFIT", "PUBLIC_PROFIT", "NON_PROFIT", "GOVERNMENT", ""]
StockExchange = Literal[
    "NONE", "NASDAQ", "NYSE", "AMEX", "AMX", "ASX", "B3", "BME", "BSE", "FRA", "ICEX", "JPX", "JSE", "KRX",
    "LON", "NSE", "OMX", "SEHK", "SGX", "SSE", "STO", "SWX", "SZSE", "TSX", "TWSE", "VSE", "OTHER", "",
]  # fmt: skip
AltBusinessIdType = Literal["NONE", "DUNS", "GIIN", "LEI", ""]
BrandStatus = Literal["FAILED", "PENDING", "REJECTED", "APPROVED", "DELETED", "DRAFT"]
VettingClass = Literal["STANDARD"]
VettingStatus = Literal["PENDING", "REJECTED", "FAILED", "APPROVED", "EXPIRED"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email_or_empty(value: str | None) -> str | None:
    # businessContactEmail is `oneOf: [format: email, maxLength: 0]`
    if value and not _EMAIL.match(value):
        raise ValueError("must be an email address or empty")
    return value


class BrandCreate(BirdRequest):
    """Body of `POST /workspaces/{workspaceId}/tcr-brands` (bills a brand registration fee).

    Mirrors Bird's schema only. US-specific rules that Bird documents in prose (9-digit EIN,
    E.164 phone, two-letter state, 5-digit ZIP) are pre-flight checks, not wire rules.
    """

    entity_type: EntityType
    first_name: Annotated[str, Field(max_length=100)] | None = None
    last_name: Annotated[str, Field(max_length=100)] | None = None
    display_name: Annotated[str, Field(min_length=1, max_length=255)]
    company_name: Annotated[str, Field(min_length=1, max_length=255)]
    ein: Annotated[str, Field(min_length=1, max_length=21)]
    ein_issuing_country: Annotated[str, Field(min_length=1, max_length=2)]
    phone: Annotated[str, Field(min_length=1, max_length=20)]
    street: Annotated[str, Field(min_length=1, max_length=100)]
    city: Annotated[str, Field(min_length=1, max_length=100)]
    state: Annotated[str, Field(min_length=1, max_length=20)]
    postal_code: Annotated[str, Field(min_length=1, max_length=10)]
    country: Annotated[str, Field(min_length=1, max_length=2)]
    email: Annotated[str, Field(min_length=1, max_length=100)]
    stock_symbol: Annotated[str, Field(max_length=10)] | None = None
    stock_exchange: StockExchange | None = None
    website: Annotated[str, Field(min_length=1, max_length=100)]
    vertical: Annotated[str, Field(max_length=50)] | None = None
    alt_business_id: Annotated[str, Field(max_length=50)] | None = None
    alt_business_id_type: AltBusinessIdType | None = None
    business_contact_email: Annotated[str | None, AfterValidator(_email_or_empty)] = None


BrandPatch = all_optional(
    BrandCreate,
    "BrandPatch",
    """Body of `PATCH /workspaces/{workspaceId}/tcr-brands/{brandId}` ("Update a brand" in Bird's
    list of brand endpoints): the fields of a create, each optional.

    Used to correct a REJECTED or FAILED brand and send it to TCR again; the same limits apply to
    what is sent. Bird: resubmitting a brand "may" cost an additional fee.
    """,
    __name__,
)


class Rejection(BirdResponse):
    description: str = ""
    code: str | None = None


class Brand(BirdResponse):
    """A brand as Bird returns it; `rejection` is only ever readable here, never in events."""

    id: str
    status: str | None = None
    display_name: str | None = None
    company_name: str | None = None
    ein: str | None = None
    tcr_brand_id: str | None = None
    rejection: Rejection | None = None
    created_at: str | None = None
    updated_at: str | None = None


class VettingCreate(BirdRequest):
    """Body of `POST /workspaces/{workspaceId}/tcr-brands/{brandId}/vettings` (bills a vetting fee)."""

    # `class` is a Python keyword, hence the explicit alias
    vetting_class: VettingClass = Field(alias="class")
    vetting_provider_id: str | None = None


class Vetting(BirdResponse):
    id: str
    brand_id: str | None = None
    status: str | None = None
    vetting_provider_id: str | None = None
    score: str | None = None
    vetting_class: str | None = Field(default=None, alias="class")
    reasons: list[str] | None = None
    rejection: Rejection | None = None
    created_at: str | None = None
    updated_at: str | None = None
