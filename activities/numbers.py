"""Numbers: choose a US local number from the organization's stock, then buy it for the workspace.

Choosing and buying are separate activities on purpose: the workflow records the chosen stock item
before buying, so a purchase retried after its answer was lost looks for *that* number, bought since
the onboarding first scheduled the purchase, instead of buying whatever the stock offers next (a
second monthly subscription) or taking a number another onboarding bought earlier.

Onboardings started together share the stock. Each tries the first page's usable items in an order
of its own (a hash of its key and the item), and claims the item before choosing it
(activities/claims.py: a `StockItemClaim` workflow per item, unique by workflow id): an item another
onboarding claimed is passed over, one this onboarding claimed on an earlier attempt is taken again.
So no two onboardings hold the same stock item, and a purchase retried after a lost answer that
finds the number bought since it was first scheduled can only have found its own purchase (Bird
numbers carry no tag to tell two buyers apart). An item sold in between all the same (bought
outside this service, or its claim outlived the namespace's retention: Bird's 422, nothing was
bought) has the workflow choose again without it.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.base import Ownership, bird_operation
from activities.claims import StockClaims
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
    # The owner (the onboarding id): spreads onboardings started together over the page, and claims
    # the item for it. None (older workflow code): the first usable item, unclaimed.
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
    def __init__(self, bird: BirdClient, claims: StockClaims | None = None) -> None:
        self._bird = bird  # holds the access key; it never travels in a payload
        self._claims = claims  # None: nothing is claimed (tools and tests without a Temporal worker)

    @activity.defn
    @bird_operation
    async def choose_number(self, req: ChooseNumberInput) -> NumberChoice:
        """A local number in stock that can send SMS (10DLC numbers are local numbers), from the
        first page that has one this onboarding can claim: pages beyond it are never asked for.

        With a `spread_key`, each usable item is tried in the key's own order and claimed for the
        key before it is returned (an item another onboarding claimed is passed over; Temporal
        calls: one for a free item, two for each claimed one tried); the next page is read only
        when every usable item of this one is claimed by others."""
        query = StockItemQuery(
            country_codes=[req.country_code],
            types=["local"],
            features=["sms-outbound"],
            # Bird: the prefix filter "must be used together with the countryCodes filter"
            prefix=req.prefix,
        )
        async for page in self._bird.stock_item_pages(req.organization_id, query):
            usable = [item for item in page if _sms_capable(item) and item.id not in req.exclude]
            for item in _in_order_of(req.spread_key, usable):
                if await self._claimed(item, req.spread_key):
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

        A retry that finds the chosen number bought since the purchase was first scheduled takes it
        as its own: the item was claimed for this onboarding alone (`choose_number`), so nobody else
        chose it to buy.

        A stock item sold in between (Bird's 422 naming `numberStockItemIds`: nothing was bought)
        fails as `StockItemSold`, on which the workflow chooses another."""
        if req.ownership.must_look():
            if owned := await self._owned(req):
                return NumberRef(id=owned.id, number_string=owned.number_string, created=False)
            req.ownership.found_nothing()
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

    async def _claimed(self, item: NumberStockItem, owner: str | None) -> bool:
        if owner is None or self._claims is None:
            return True
        return await self._claims.claim(item.id, owner)

    async def _owned(self, req: BuyNumberInput) -> WorkspaceNumber | None:
        """The chosen number, if the workspace holds it and bought it since we first tried."""
        async for number in self._bird.each_number(req.workspace_id):
            if number.number_string == req.number_string:
                return number if req.ownership.may_be_ours(number.created_at) else None
        return None


def _in_order_of(key: str | None, items: list[NumberStockItem]) -> list[NumberStockItem]:
    """`items` in the order `key` tries them: by a hash of the key and each item, so onboardings
    started together spread over the page instead of walking it in step, and each keeps its order
    on every retry and every worker, whatever else joined or left the page (so a retried choose
    reaches the item it claimed before again). No key: the page's order."""
    if key is None:
        return items
    return sorted(items, key=lambda item: hashlib.sha256(f"{key}\n{item.id}".encode()).digest())
