"""`StockItemClaim`: the workflow whose id claims one stock item for one onboarding.

Its id (`stock-item-claim/<stock item id>`, started with REJECT_DUPLICATE) is the claim: Temporal
starts at most one workflow per id, open or closed, so the first onboarding to start it holds the
item (activities/claims.py starts it from `choose_number`). The memo names the owner; the workflow
has nothing to do and returns at once, and its closed run keeps blocking other starts until the
namespace's retention removes it.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.claims import StockItemClaimInput


# Outside the sandbox: it runs no code that could be non-deterministic, and a sandboxed run would
# build a fresh module environment for every claim, one per onboarding, to return None.
@workflow.defn(sandboxed=False)
class StockItemClaim:
    @workflow.run
    async def run(self, claim: StockItemClaimInput) -> None:
        return None
