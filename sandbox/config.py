"""The sandbox's settings: fixed ids, the access key, delays, fees, number stock, webhook retries.

Defaults suit the demo (a whole onboarding in well under a minute); `SandboxConfig.instant()`
suits tests (no delays at all).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr

from bird.client import DEFAULT_READINESS_PATH
from sandbox.faults import Faults
from sandbox.ratelimit import RateLimit
from sandbox.scenario import Scenario
from sandbox.wire import CamelModel

# Fixed, documented ids, so a demo or a CI job can be configured before the sandbox starts.
DEFAULT_ORGANIZATION_ID = "5a4d0b1e-0000-4000-8000-000000000001"
DEFAULT_WORKSPACE_ID = "5a4d0b1e-0000-4000-8000-000000000002"
DEFAULT_RESELLER_ID = "5a4d0b1e-0000-4000-8000-000000000003"
DEFAULT_ACCESS_KEY = "sandbox-access-key"

Seconds = Annotated[float, Field(ge=0)]
AreaCode = Annotated[str, Field(pattern=r"^[2-9]\d\d$")]
# The sandbox's numbers are +1 <area code> 555 <4 digits>: at most 10,000 per area code (see sandbox/stock.py).
StockCount = Annotated[int, Field(ge=0, le=9999)]
Money = Annotated[Decimal, Field(ge=0, decimal_places=2)]


class Delays(CamelModel):
    """Seconds from a submission to its review; a scenario's review may set its own."""

    brand: Seconds = 3.0
    vetting: Seconds = 3.0
    campaign: Seconds = 5.0
    channel: Seconds = 1.0  # connector created -> its channel exists
    connector: Seconds = 3.0  # channel exists -> carriers have linked the number (useCaseStatus ok)

    @classmethod
    def zero(cls) -> Delays:
        return cls(brand=0, vetting=0, campaign=0, channel=0, connector=0)


class Fees(CamelModel):
    """What each billable action costs. Bird does not publish its prices in the guide; these are
    of TCR's order of magnitude and only need to be distinct and countable."""

    currency: str = "USD"
    number_monthly: Money = Decimal("1.00")
    brand: Money = Decimal("4.00")
    vetting: Money = Decimal("41.50")
    campaign_registration: Money = Decimal("15.00")
    campaign_monthly: Money = Decimal("10.00")
    campaign_commitment_months: Annotated[int, Field(ge=0)] = 3
    # Bird: resubmitting "may" cost more. Recorded only when not zero.
    campaign_resubmission: Money = Decimal("0.00")
    brand_resubmission: Money = Decimal("0.00")
    # Bird documents no connector fee; the install is still recorded, so a second one shows.
    connector: Money = Decimal("0.00")


class WebhookPolicy(CamelModel):
    """Bird retries a failed delivery with backoff, keeping its timestamp, for about a day."""

    retry_initial: Seconds = 1.0
    retry_max_interval: Seconds = 30.0
    retry_for: Seconds = 24 * 3600.0
    timeout: Annotated[float, Field(gt=0)] = 10.0


class SandboxConfig(CamelModel):
    access_key: SecretStr = SecretStr(DEFAULT_ACCESS_KEY)
    organization_id: str = DEFAULT_ORGANIZATION_ID
    workspace_id: str = DEFAULT_WORKSPACE_ID
    seed: int = 0
    delays: Delays = Field(default_factory=Delays)
    fees: Fees = Field(default_factory=Fees)
    webhooks: WebhookPolicy = Field(default_factory=WebhookPolicy)
    # US area codes stocked, and how many numbers of each
    area_codes: list[AreaCode] = Field(
        default_factory=lambda: ["415", "628", "212", "646", "512", "206", "305", "312"]
    )
    numbers_per_area_code: StockCount = 5
    # area code -> its own count (stocked even when not in `area_codes`): a fleet buying under one
    # prefix needs more than the demo's few
    stock_per_area_code: dict[AreaCode, StockCount] = Field(default_factory=dict)
    # Bird's organization-wide limit on API requests (None: unlimited); see sandbox/ratelimit.py
    rate_limit: RateLimit | None = None
    readiness_path: str = DEFAULT_READINESS_PATH
    # subscription URL (or "*") -> where to POST instead, as a tunnel would; signatures still
    # use the subscription URL
    deliver_to: dict[str, str] = Field(default_factory=dict)
    state_file: Path | None = None
    # what a fresh (or reset) sandbox starts with
    scenario: Scenario = Field(default_factory=Scenario)
    faults: Faults = Field(default_factory=Faults)

    @classmethod
    def instant(cls, **changes: Any) -> SandboxConfig:
        """No delays and quick webhook retries: for tests. A partial `delays` or `webhooks` dict
        changes only the fields it names (`delays={"brand": 0.3}` keeps the others at 0)."""
        base: dict[str, Any] = dict(
            delays=Delays.zero(),
            webhooks=WebhookPolicy(retry_initial=0.05, retry_max_interval=0.2, retry_for=2.0, timeout=5.0),
        )
        for name, default in base.items():
            if isinstance(changes.get(name), dict):
                given = type(default).model_validate(changes.pop(name))
                base[name] = default.model_copy(update={f: getattr(given, f) for f in given.model_fields_set})
        return cls(**{**base, **changes})
