"""Numbers: choose a US local number from the organization's stock, then buy it for the workspace.

Choosing and buying are separate activities on purpose: the workflow records the chosen stock item
before buying, so a purchase retried after its answer was lost looks for *that* number, bought since
the onboarding first scheduled the purchase, instead of buying whatever the stock offers next (a
second monthly subscription) or taking a number another onboarding bought earlier.

Onboardings started together share the stock: each picks among the first page's usable items by its
own key, so they rarely pick the same one, and one that finds its pick sold in between (Bird's 422:
nothing was bought) has the workflow choose again without it.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.base import Ownership, bird_operation
from activities.errors import NO_NUMBER_IN_STOCK, STOCK_ITEM_SOLD, application_error, error_details
from bird.client import BirdClient
from bird.errors import BirdValidationError
from bird.models import BuyNumbersRequest, NumberStockItem, StockItemQuery, WorkspaceNumber


class ChooseNumberInput(BaseModel):
    organization_id: str
    country_code: str = "US"
    prefix: str | None = None
    # Stock items this onboarding already found sold: never chosen again.
    exclude: list[str] = Field(default_factory=list)
    # Spreads onboardings started together over the page (the onboarding id); None: the first item.
    spread_key: str | None = None


class NumberChoice(BaseModel):
    stock_item_id: str
    number_string: str
    monthly_price: float | None = None
    currency: str | None = None


class BuyNumberInput(BaseModel):
    workspace_id: str
    stock_item_id: str
    number_string: str
    ownership: Ownership = Ownership()


class NumberRef(BaseModel):
    id: str
    number_string: str
    created: bool = True  # False: the workspace already had it (an earlier attempt bought it)


def _sms_capable(item: NumberStockItem) -> bool:
    return item.capabilities.sms.outbound and not item.back_order_required


class NumberActivities:
    def __init__(self, bird: BirdClient) -> None:
        self._bird = bird  # holds the access key; it never travels in a payload

    @activity.defn
    @bird_operation
    async def choose_number(self, req: ChooseNumberInput) -> NumberChoice:
        """A local number in stock that can send SMS (10DLC numbers are local numbers), from the
        first page that has one: pages beyond it are never asked for."""
        query = StockItemQuery(
            country_codes=[req.country_code],
            types=["local"],
            features=["sms-outbound"],
            # Bird: the prefix filter "must be used together with the countryCodes filter"
            prefix=req.prefix,
        )
        async for page in self._bird.stock_item_pages(req.organization_id, query):
            usable = [item for item in page if _sms_capable(item) and item.id not in req.exclude]
            if usable:
                item = usable[_spread(req.spread_key, len(usable))]
                price = item.monthly_price
                return NumberChoice(
                    stock_item_id=item.id,
                    number_string=item.number_string,
                    monthly_price=price.value if price else None,
                    currency=price.currency_code if price else None,
                )
        where = f"{req.country_code} local numbers" + (f" with prefix {req.prefix}" if req.prefix else "")
        # Retrying cannot conjure stock: a person picks another prefix (or waits for stock).
        raise ApplicationError(
            f"choose_number: no SMS-capable {where} in stock",
            error_details("choose_number", field_errors={"number.prefix": [f"no {where} in stock"]}),
            type=NO_NUMBER_IN_STOCK,
            non_retryable=True,
        )

    @activity.defn
    @bird_operation
    async def buy_number(self, req: BuyNumberInput) -> NumberRef:
        """Buy the chosen stock item, unless a lost answer already did (monthly subscription).

        A stock item sold in between (Bird's 422 naming `numberStockItemIds`: nothing was bought)
        fails as `StockItemSold`, on which the workflow chooses another."""
        if req.ownership.must_look() and (owned := await self._owned(req)):
            return NumberRef(id=owned.id, number_string=owned.number_string, created=False)
        try:
            bought = await self._bird.buy_numbers(
                req.workspace_id, BuyNumbersRequest(number_stock_item_ids=[req.stock_item_id])
            )
        except BirdValidationError as exc:
            if "numberStockItemIds" not in exc.field_errors:
                raise
            error = application_error(exc)
            raise ApplicationError(error.message, *error.details, type=STOCK_ITEM_SOLD, non_retryable=True) from None
        number = next((n for n in bought if n.number_string == req.number_string), bought[0] if bought else None)
        if number is None:
            # A 2xx without the number: the purchase may have gone through, so look again on retry.
            raise ApplicationError(f"buy_number: Bird answered without the number {req.number_string}")
        return NumberRef(id=number.id, number_string=number.number_string)

    async def _owned(self, req: BuyNumberInput) -> WorkspaceNumber | None:
        """The chosen number, if the workspace holds it and bought it since we first tried."""
        async for number in self._bird.each_number(req.workspace_id):
            if number.number_string == req.number_string:
                return number if req.ownership.may_be_ours(number.created_at) else None
        return None


def _spread(key: str | None, choices: int) -> int:
    """A stable index for `key` among `choices` (the same on every retry and every worker)."""
    if key is None:
        return 0
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % choices
