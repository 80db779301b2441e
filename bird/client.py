"""`BirdClient`: one async method per Bird call the onboarding makes, models in and out.

One instance (one pooled `httpx.AsyncClient`) per process. The client never retries: retrying is
the caller's decision (Temporal's retry policies), informed by the exception type in `bird.errors`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from bird.errors import BirdServerError, error_for_response, error_for_transport
from bird.models import (
    Brand,
    BrandCreate,
    BuyNumbersRequest,
    Campaign,
    CampaignCreate,
    Connector,
    ConnectorCreate,
    ConnectorReadiness,
    NumberStockItem,
    Page,
    Reseller,
    StockItemQuery,
    Vetting,
    VettingCreate,
    WebhookSubscription,
    WebhookSubscriptionCreate,
    WorkspaceNumber,
)
from bird.models._base import BirdRequest

M = TypeVar("M", bound=BaseModel)

DEFAULT_BASE_URL = "https://api.bird.com"
# Where a connector says whether carriers have linked its number (BIRD_READINESS_PATH overrides it).
DEFAULT_READINESS_PATH = "/workspaces/{workspaceId}/connectors/{connectorId}/status"

try:
    _VERSION = version("bird-10dlc")
except PackageNotFoundError:  # running from a source tree that is not installed
    _VERSION = "0"
USER_AGENT = f"bird-10dlc/{_VERSION} (+https://github.com/bird-10dlc)"
PAGE_SIZE = 99  # Bird's maximum `limit`
MAX_PAGES = 1000  # a bound against a server that keeps handing out tokens


class BirdClient:
    def __init__(
        self,
        access_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        readiness_path: str = DEFAULT_READINESS_PATH,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Callable[[str, str], None] | None = None,
    ) -> None:
        """`observer(operation, outcome)` hears of every call: the HTTP status as text, or
        "network_error" (the worker counts them as metrics)."""
        if not access_key:
            raise ValueError("a Bird access key is required (BIRD_ACCESS_KEY)")
        self._readiness_path = readiness_path
        self._observer = observer
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={
                "Authorization": f"AccessKey {access_key}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> BirdClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- numbers ---------------------------------------------------------------------------

    async def list_stock_items(self, organization_id: str, query: StockItemQuery) -> list[NumberStockItem]:
        """Every stock item matching `query`, across all pages."""
        params = query.model_dump(by_alias=True, exclude_none=True, exclude={"page_token"})
        path = f"/organizations/{organization_id}/numbers-stock-items"
        return [item async for item in self._pages("list_stock_items", path, NumberStockItem, params)]

    async def stock_item_pages(self, organization_id: str, query: StockItemQuery) -> AsyncIterator[list[NumberStockItem]]:
        """The stock items matching `query`, a page at a time: a caller that finds what it needs on
        the first page asks for no more."""
        params = query.model_dump(by_alias=True, exclude_none=True, exclude={"page_token"})
        path = f"/organizations/{organization_id}/numbers-stock-items"
        async for page in self._page_lists("list_stock_items", path, NumberStockItem, params):
            yield page

    async def buy_numbers(self, workspace_id: str, body: BuyNumbersRequest) -> list[WorkspaceNumber]:
        """Buy stock items as workspace long-code numbers. Starts a billed monthly subscription."""
        data = await self._send("buy_numbers", "POST", f"/workspaces/{workspace_id}/numbers-long-code", body)
        return Page[WorkspaceNumber].model_validate(data).results

    async def list_numbers(self, workspace_id: str) -> list[WorkspaceNumber]:
        """The workspace's long-code numbers."""
        return [n async for n in self.each_number(workspace_id)]

    def each_number(self, workspace_id: str) -> AsyncIterator[WorkspaceNumber]:
        """The workspace's long-code numbers, fetched a page at a time as the caller reads on."""
        return self._pages("list_numbers", f"/workspaces/{workspace_id}/numbers-long-code", WorkspaceNumber)

    # -- brands and vettings ---------------------------------------------------------------

    async def create_brand(self, workspace_id: str, body: BrandCreate) -> Brand:
        """Register a brand with TCR. Billed."""
        data = await self._send("create_brand", "POST", f"/workspaces/{workspace_id}/tcr-brands", body)
        return Brand.model_validate(data)

    async def get_brand(self, workspace_id: str, brand_id: str) -> Brand:
        data = await self._send("get_brand", "GET", f"/workspaces/{workspace_id}/tcr-brands/{brand_id}")
        return Brand.model_validate(data)

    async def list_brands(self, workspace_id: str) -> list[Brand]:
        return [b async for b in self.each_brand(workspace_id)]

    def each_brand(self, workspace_id: str) -> AsyncIterator[Brand]:
        """The workspace's brands, a page at a time: stop reading and no further page is asked for."""
        return self._pages("list_brands", f"/workspaces/{workspace_id}/tcr-brands", Brand)

    async def update_brand(self, workspace_id: str, brand_id: str, body: BirdRequest) -> Brand:  # a `BrandPatch`, built at import time
        """Change a brand; on a REJECTED or FAILED one this sends it to TCR again (may be billed)."""
        path = f"/workspaces/{workspace_id}/tcr-brands/{brand_id}"
        return Brand.model_validate(await self._send("update_brand", "PATCH", path, body))

    async def create_vetting(self, workspace_id: str, brand_id: str, body: VettingCreate) -> Vetting:
        """Ask an external provider to vet the brand. Billed."""
        path = f"/workspaces/{workspace_id}/tcr-brands/{brand_id}/vettings"
        return Vetting.model_validate(await self._send("create_vetting", "POST", path, body))

    async def get_vetting(self, workspace_id: str, brand_id: str, vetting_id: str) -> Vetting:
        path = f"/workspaces/{workspace_id}/tcr-brands/{brand_id}/vettings/{vetting_id}"
        return Vetting.model_validate(await self._send("get_vetting", "GET", path))

    async def list_vettings(self, workspace_id: str, brand_id: str) -> list[Vetting]:
        return [v async for v in self.each_vetting(workspace_id, brand_id)]

    def each_vetting(self, workspace_id: str, brand_id: str) -> AsyncIterator[Vetting]:
        path = f"/workspaces/{workspace_id}/tcr-brands/{brand_id}/vettings"
        return self._pages("list_vettings", path, Vetting)

    async def list_resellers(self, workspace_id: str) -> list[Reseller]:
        path = f"/workspaces/{workspace_id}/tcr-resellers"
        return [r async for r in self._pages("list_resellers", path, Reseller)]

    # -- campaigns -------------------------------------------------------------------------

    async def create_campaign(self, workspace_id: str, brand_id: str, body: CampaignCreate) -> Campaign:
        """Register a campaign under an APPROVED brand. Billed, with a three-month commitment."""
        path = f"/workspaces/{workspace_id}/tcr-brands/{brand_id}/campaigns"
        return Campaign.model_validate(await self._send("create_campaign", "POST", path, body))

    async def get_campaign(self, workspace_id: str, brand_id: str, campaign_id: str) -> Campaign:
        path = f"/workspaces/{workspace_id}/tcr-brands/{brand_id}/campaigns/{campaign_id}"
        return Campaign.model_validate(await self._send("get_campaign", "GET", path))

    async def list_campaigns(self, workspace_id: str, brand_id: str) -> list[Campaign]:
        return [c async for c in self.each_campaign(workspace_id, brand_id)]

    def each_campaign(self, workspace_id: str, brand_id: str) -> AsyncIterator[Campaign]:
        path = f"/workspaces/{workspace_id}/tcr-brands/{brand_id}/campaigns"
        return self._pages("list_campaigns", path, Campaign)

    async def patch_campaign(
        self, workspace_id: str, brand_id: str, campaign_id: str, body: BirdRequest
    ) -> Campaign:
        """Change a campaign; on a DECLINED one this resubmits it for review."""
        path = f"/workspaces/{workspace_id}/tcr-brands/{brand_id}/campaigns/{campaign_id}"
        return Campaign.model_validate(await self._send("patch_campaign", "PATCH", path, body))

    # -- connectors ------------------------------------------------------------------------

    async def create_connector(self, workspace_id: str, body: ConnectorCreate) -> Connector:
        """Install a connector (the SMS channel). Billed."""
        path = f"/workspaces/{workspace_id}/connectors"
        return Connector.model_validate(await self._send("create_connector", "POST", path, body))

    async def get_connector(self, workspace_id: str, connector_id: str) -> Connector:
        path = f"/workspaces/{workspace_id}/connectors/{connector_id}"
        return Connector.model_validate(await self._send("get_connector", "GET", path))

    async def list_connectors(self, workspace_id: str) -> list[Connector]:
        return [c async for c in self.each_connector(workspace_id)]

    def each_connector(self, workspace_id: str) -> AsyncIterator[Connector]:
        return self._pages("list_connectors", f"/workspaces/{workspace_id}/connectors", Connector)

    async def get_connector_readiness(self, workspace_id: str, connector_id: str) -> ConnectorReadiness:
        """The connector's status checks; `useCaseStatus` turns `ok` once carriers link the number."""
        path = self._readiness_path.format(workspaceId=workspace_id, connectorId=connector_id)
        return ConnectorReadiness.model_validate(await self._send("get_connector_readiness", "GET", path))

    # -- webhook subscriptions -------------------------------------------------------------

    async def create_webhook_subscription(
        self, organization_id: str, workspace_id: str, body: WebhookSubscriptionCreate
    ) -> WebhookSubscription:
        path = f"/organizations/{organization_id}/workspaces/{workspace_id}/webhook-subscriptions"
        data = await self._send("create_webhook_subscription", "POST", path, body)
        return WebhookSubscription.model_validate(data)

    async def list_webhook_subscriptions(self, organization_id: str, workspace_id: str) -> list[WebhookSubscription]:
        path = f"/organizations/{organization_id}/workspaces/{workspace_id}/webhook-subscriptions"
        return [s async for s in self._pages("list_webhook_subscriptions", path, WebhookSubscription)]

    # -- plumbing --------------------------------------------------------------------------

    async def _send(
        self,
        operation: str,
        method: str,
        path: str,
        body: BaseModel | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        json_body = body.model_dump(mode="json", by_alias=True, exclude_none=True) if body is not None else None
        try:
            response = await self._http.request(method, path, json=json_body, params=params)
        except httpx.TransportError as exc:
            self._observe(operation, "network_error")
            raise error_for_transport(exc, operation) from None
        self._observe(operation, str(response.status_code))
        if response.is_error:
            raise error_for_response(response, operation)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            # A 2xx that is not JSON: treat as a server fault, the call may be retried.
            raise BirdServerError(
                f"{operation}: HTTP {response.status_code} with a body that is not JSON",
                status=response.status_code,
                operation=operation,
            ) from None

    def _observe(self, operation: str, outcome: str) -> None:
        if self._observer is not None:
            self._observer(operation, outcome)

    async def _pages(
        self, operation: str, path: str, model: type[M], params: dict[str, Any] | None = None
    ) -> AsyncIterator[M]:
        async for page in self._page_lists(operation, path, model, params):
            for item in page:
                yield item

    async def _page_lists(
        self, operation: str, path: str, model: type[M], params: dict[str, Any] | None = None
    ) -> AsyncIterator[list[M]]:
        """Each page's items; the next page is requested only when the caller reads on."""
        params = {"limit": PAGE_SIZE, **(params or {})}
        for _ in range(MAX_PAGES):
            page = Page[model].model_validate(await self._send(operation, "GET", path, params=params))  # type: ignore[valid-type]
            yield page.results
            if not page.next_page_token:
                return
            params = {**params, "pageToken": page.next_page_token}
        raise RuntimeError(f"{operation}: more than {MAX_PAGES} pages")
