"""Warnings only Bird can give, before anything is bought: `tendlc check` and `tendlc start` ask
when BIRD_ACCESS_KEY is set (reads only: GETs, nothing billed).

- the number stock for each requested prefix cannot be read, is empty, or holds fewer numbers
  than the requests that buy under it;
- at `start`: a brand with the request's EIN, or (under that brand) a campaign with the request's
  name, is already in the workspace: the warning names its id and the field that reuses it
  (`brand: {"brand_id": ...}`, `campaign: {"campaign_id": ...}`), since registering again is billed again.

Each warning is (source, field, message); a request is never refused for one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bird.client import BirdClient
from bird.errors import BirdError
from bird.models.numbers import StockItemQuery
from workflows.inputs import OnboardingInput


@dataclass(frozen=True)
class WorkspaceWarning:
    source: str  # FILE or FILE:LINE
    field: str
    message: str
    rule_id: str


def _stock_key(input: OnboardingInput) -> tuple[str, str, str] | None:
    plan = input.number
    if plan.phone_number_id is not None or not plan.prefix:
        return None
    return (input.organization_id, plan.country_code, plan.prefix)


async def stock_warnings(bird: BirdClient, requests: Sequence[tuple[str, OnboardingInput]]) -> list[WorkspaceWarning]:
    """One read of the stock per (organization, country, prefix) the requests buy under."""
    wanted: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for source, input in requests:
        if (key := _stock_key(input)) is not None:
            wanted[key].append(source)
    warnings = []
    for (organization_id, country, prefix), sources in wanted.items():
        query = StockItemQuery(country_codes=[country], types=["local"], features=["sms-outbound"], prefix=prefix)
        try:
            count = len(await bird.list_stock_items(organization_id, query))
        except BirdError as exc:
            message = f"the number stock for prefix {prefix} cannot be read from Bird: {exc}"
            warnings += [WorkspaceWarning(s, "number.prefix", message, "STOCK_UNREADABLE") for s in sources]
            continue
        if count == 0:
            message = f"no SMS-capable {country} local numbers with prefix {prefix} in stock"
            warnings += [WorkspaceWarning(s, "number.prefix", message, "STOCK_EMPTY") for s in sources]
        elif count < len(sources):
            message = (
                f"{count} numbers with prefix {prefix} in stock for {len(sources)} requests under it: "
                "the last ones will stop in NEEDS_ACTION"
            )
            warnings.append(WorkspaceWarning(sources[count], "number.prefix", message, "STOCK_SHORT"))
    return warnings


async def reuse_warnings(bird: BirdClient, requests: Sequence[tuple[str, OnboardingInput]]) -> list[WorkspaceWarning]:
    """Brands (by EIN) and campaigns (by name, under that brand) already in the workspace."""
    warnings = []
    by_workspace: dict[str, list[tuple[str, OnboardingInput]]] = defaultdict(list)
    for source, input in requests:
        by_workspace[input.workspace_id].append((source, input))
    for workspace_id, items in by_workspace.items():
        try:
            brands = await bird.list_brands(workspace_id)
        except BirdError as exc:
            warnings.append(
                WorkspaceWarning(items[0][0], "brand", f"the workspace's brands cannot be read from Bird: {exc}", "BRANDS_UNREADABLE")
            )
            continue
        by_ein = {b.ein: b for b in brands if b.ein}
        campaigns_of: dict[str, dict[str, str]] = {}
        for source, input in items:
            ein = (input.brand or {}).get("ein")
            brand_id = input.brand_id or (by_ein[ein].id if ein in by_ein else None)
            if input.brand_id is None and brand_id is not None:
                warnings.append(
                    WorkspaceWarning(
                        source, "brand.ein",
                        f"brand {brand_id} with EIN {ein} is already in the workspace; "
                        f'reuse it with "brand": {{"brand_id": "{brand_id}"}}',
                        "BRAND_EXISTS",
                    )
                )  # fmt: skip
            name = input.campaign.get("name")
            if brand_id is None or not name:
                continue
            if brand_id not in campaigns_of:
                try:
                    campaigns_of[brand_id] = {c.name: c.id for c in await bird.list_campaigns(workspace_id, brand_id) if c.name}
                except BirdError:
                    campaigns_of[brand_id] = {}
            if (campaign_id := campaigns_of[brand_id].get(name)) is not None:
                warnings.append(
                    WorkspaceWarning(
                        source, "campaign.name",
                        f"campaign {campaign_id} named {name!r} is already in the workspace (brand {brand_id}); "
                        f'reuse it with "campaign": {{"campaign_id": "{campaign_id}"}}',
                        "CAMPAIGN_EXISTS",
                    )
                )  # fmt: skip
    return warnings



async def workspace_warnings(
    bird: BirdClient, requests: Sequence[tuple[str, OnboardingInput]], *, reuse: bool
) -> list[WorkspaceWarning]:
    """The stock warnings, and with `reuse` the brand/campaign ones (`start` asks; `check` does not
    know the workspace when the request does not name one)."""
    warnings = await stock_warnings(bird, requests)
    if reuse:
        warnings += await reuse_warnings(bird, requests)
    return warnings
