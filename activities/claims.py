"""Stock-item claims: a stock item is chosen by at most one onboarding, atomically, by Temporal's
own workflow-id uniqueness (Bird numbers carry no tag or idempotency key to tell two buyers apart).

A claim is a workflow of type `StockItemClaim` (workflows/claims.py) with the id
`stock-item-claim/<stock item id>`, started with the id reuse policy REJECT_DUPLICATE, so that the
first start wins and every later one, while the claim is open or after it closed, is refused. Its
memo names the owner (the onboarding id); the workflow itself returns at once.

A claim lasts as long as the namespace keeps closed workflows (its retention period). By then the
item is sold (gone from the stock) or its owner never bought it: another onboarding may then claim
it, and whichever buys second gets Bird's 422, which `buy_number` already turns into a new choice.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

# workflows/claims.py defines the workflow under this type name (tests/workflows/test_claims.py checks it).
CLAIM_WORKFLOW = "StockItemClaim"
CLAIM_ID_PREFIX = "stock-item-claim/"
OWNER_MEMO = "owner"


def claim_id_for(stock_item_id: str) -> str:
    """`claim_id_for("abc") -> "stock-item-claim/abc"`: one workflow id per stock item."""
    return f"{CLAIM_ID_PREFIX}{stock_item_id}"


class StockItemClaimInput(BaseModel):
    stock_item_id: str
    owner: str  # the onboarding id that chose the item


class StockClaims(Protocol):
    async def claim(self, stock_item_id: str, owner: str) -> bool:
        """True when `owner` holds the item now: claimed just now, or by an earlier attempt of the
        same owner (a choose retried after a crash). False: another owner holds it."""
        ...


class TemporalStockClaims:
    """Claims as `StockItemClaim` workflows, through the worker's Temporal client. A free item costs
    one call (the start); an item already claimed two (the refused start, then a describe)."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue  # the onboarding workflows' queue, whose worker runs the claims

    async def claim(self, stock_item_id: str, owner: str) -> bool:
        claim_id = claim_id_for(stock_item_id)
        try:
            await self._client.start_workflow(
                CLAIM_WORKFLOW,
                StockItemClaimInput(stock_item_id=stock_item_id, owner=owner),
                id=claim_id,
                task_queue=self._task_queue,
                # a closed claim blocks as well as an open one: the item stays its owner's
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                memo={OWNER_MEMO: owner},
                static_summary=f"stock item {stock_item_id} claimed by onboarding {owner}",
            )
            return True
        except WorkflowAlreadyStartedError:
            description = await self._client.get_workflow_handle(claim_id).describe()
            return (await description.memo()).get(OWNER_MEMO) == owner
