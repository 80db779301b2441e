"""Everything the sandbox knows, as one JSON-able model, and its file (`--state FILE`).

Objects are kept in Bird's wire form (camelCase dicts, exactly what a GET returns), so what is
stored is what is served. The file is rewritten atomically after every change (write a
temporary file, fsync, rename), so a crash leaves either the old state or the new one.
"""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from sandbox.faults import Faults
from sandbox.ratelimit import RateLimit
from sandbox.scenario import Kind, Review, Scenario
from sandbox.wire import CamelModel

Wire = dict[str, Any]
ChargeKind = Literal["number", "brand", "vetting", "campaign", "connector"]
# a review, or for connectors also the moment their channel appears
JobAction = Literal["review", "channel"]
DELIVERIES_KEPT = 1000  # the whole state is rewritten on each change: keep it small


class Job(CamelModel):
    """A scheduled change of one object, due at a wall-clock time so it survives a restart."""

    id: str
    kind: Kind
    object_id: str
    action: JobAction
    due: float


class Charge(CamelModel):
    id: str
    kind: ChargeKind
    object_id: str
    amount: Decimal
    currency: str
    description: str
    operation: str
    at: str


class Attempt(CamelModel):
    at: str
    timestamp: int  # the signed `messagebird-request-timestamp`: the same on every attempt
    status: int | None = None
    error: str | None = None


class Delivery(CamelModel):
    """One webhook delivery to one subscription, with every attempt made."""

    id: str
    subscription_id: str
    service: str
    event: str
    object_id: str
    url: str  # the subscription's URL, which the signature covers
    target: str  # where it is POSTed (the URL itself, or a delivery route)
    timestamp: int
    body: str
    headers: dict[str, str]
    status: Literal["pending", "delivered", "failed", "dropped"] = "pending"
    duplicate_of: str | None = None
    created: float
    not_before: float = 0.0  # held back until then (the delay fault, or the next retry)
    attempts: list[Attempt] = Field(default_factory=list)


class State(CamelModel):
    version: int = 1
    stock: dict[str, Wire] = Field(default_factory=dict)
    numbers: dict[str, Wire] = Field(default_factory=dict)
    brands: dict[str, Wire] = Field(default_factory=dict)
    vettings: dict[str, Wire] = Field(default_factory=dict)
    campaigns: dict[str, Wire] = Field(default_factory=dict)
    connectors: dict[str, Wire] = Field(default_factory=dict)
    resellers: dict[str, Wire] = Field(default_factory=dict)
    subscriptions: dict[str, Wire] = Field(default_factory=dict)
    # connector id -> its readiness check status ("warning", "ok", "error")
    readiness: dict[str, str] = Field(default_factory=dict)
    # object id -> the reviews planned for it, and how many it has had
    plans: dict[str, list[Review]] = Field(default_factory=dict)
    reviews_done: dict[str, int] = Field(default_factory=dict)
    schedule: list[Job] = Field(default_factory=list)
    ledger: list[Charge] = Field(default_factory=list)
    deliveries: list[Delivery] = Field(default_factory=list)
    scenario: Scenario = Field(default_factory=Scenario)
    faults: Faults = Field(default_factory=Faults)
    delivery_routes: dict[str, str] = Field(default_factory=dict)
    rate_limit: RateLimit | None = None
    # stock item id -> who bought it ("workspace <id>", or "another customer" set by the control
    # plane): a buy naming it is refused as sold, not as unknown
    sold: dict[str, str] = Field(default_factory=dict)

    def objects(self, kind: Kind) -> dict[str, Wire]:
        by_kind = {
            "brand": self.brands,
            "vetting": self.vettings,
            "campaign": self.campaigns,
            "connector": self.connectors,
        }
        return by_kind[kind]

    def trim_deliveries(self) -> None:
        """Keep the delivery log bounded; never forget one still pending."""
        excess = len(self.deliveries) - DELIVERIES_KEPT
        if excess > 0:
            done = [d for d in self.deliveries if d.status != "pending"][:excess]
            drop = {d.id for d in done}
            self.deliveries = [d for d in self.deliveries if d.id not in drop]


class StateFileError(Exception):
    """The state file exists but is not a sandbox's state: refuse to start rather than overwrite it."""


class StateFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> State | None:
        """The saved state, or None when there is none yet."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        try:
            return State.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top)"
            raise StateFileError(
                f"{self.path} is not a sandbox state file ({exc.error_count()} problems, first at {where}: "
                f"{first['msg']}); move it away or pick another --state"
            ) from None

    def save(self, state: State) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = state.model_dump_json(indent=1).encode()
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
