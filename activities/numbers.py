"""Numbers: choose a US local number from the organization's stock, then buy it for the workspace.

Choosing and buying are separate activities on purpose: the workflow records the chosen stock item
before buying, so a purchase retried after its answer was lost looks for *that* number in the
workspace instead of buying whatever the stock offers next (a second monthly subscription).
"""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.base import bird_operation
from activities.errors import NO_NUMBER_IN_STOCK, error_details
from bird.client import BirdClient
from bird.models import BuyNumbersRequest, NumberStockItem, StockItemQuery, WorkspaceNumber


class ChooseNumberInput(BaseModel):
    organization_id: str
    country_code: str = "US"
    prefix: str | None = None


class NumberChoice(BaseModel):
    stock_item_id: str
    number_string: str
    monthly_price: float | None = None
    currency: str | None = None


class BuyNumberInput(BaseModel):
    workspace_id: str
    stock_item_id: str
    number_string: str


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
        """The first local number in stock that can send SMS (10DLC numbers are local numbers)."""
        query = StockItemQuery(
            country_codes=[req.country_code],
            types=["local"],
            features=["sms-outbound"],
            # Bird: the prefix filter "must be used together with the countryCodes filter"
            prefix=req.prefix,
        )
        for item in await self._bird.list_stock_items(req.organization_id, query):
            if _sms_capable(item):
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
        """Buy the chosen stock item, unless an earlier attempt already did (monthly subscription)."""
        if owned := await self._owned(req.workspace_id, req.number_string):
            return NumberRef(id=owned.id, number_string=owned.number_string, created=False)
        bought = await self._bird.buy_numbers(req.workspace_id, BuyNumbersRequest(number_stock_item_ids=[req.stock_item_id]))
        number = next((n for n in bought if n.number_string == req.number_string), bought[0] if bought else None)
        if number is None:
            # A 2xx without the number: the purchase may have gone through, so look again on retry.
            raise ApplicationError(f"buy_number: Bird answered without the number {req.number_string}")
        return NumberRef(id=number.id, number_string=number.number_string)

    async def _owned(self, workspace_id: str, number_string: str) -> WorkspaceNumber | None:
        for number in await self._bird.list_numbers(workspace_id):
            if number.number_string == number_string:
                return number
        return None
