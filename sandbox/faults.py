"""Injected failures: per API operation (named as `BirdClient` names its methods) and for webhooks.

A fault is one of these tokens:

    ok                      answer normally
    500, 502, 503, ...      answer with that 5xx and nothing is applied
    429                     answer 429 with `Retry-After`, nothing applied (as Bird: "not processed")
    drop                    the connection is dropped before anything is applied
    commit-then-500, ...    the request is applied (and billed), then the answer is that 5xx
    commit-then-drop        the request is applied (and billed), then the connection is dropped

Each operation takes its tokens first from its `sequence`, then by drawing from `rates`
with a random generator seeded per operation, so a run can be repeated exactly.
"""

from __future__ import annotations

import random
import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from sandbox.wire import CamelModel

# The operation names of `bird.client.BirdClient`, which name the sandbox's routes.
OPERATIONS = (
    "list_stock_items", "buy_numbers", "list_numbers",
    "create_brand", "get_brand", "list_brands", "update_brand",
    "create_vetting", "get_vetting", "list_vettings", "list_resellers",
    "create_campaign", "get_campaign", "list_campaigns", "patch_campaign",
    "create_connector", "get_connector", "list_connectors", "get_connector_readiness",
    "create_webhook_subscription", "list_webhook_subscriptions",
)  # fmt: skip
ANY_OPERATION = "*"

_TOKEN = re.compile(r"^(ok|drop|429|5\d\d|commit-then-(drop|5\d\d))$")


def _token(value: str) -> str:
    if not _TOKEN.match(value):
        raise ValueError(
            f"{value!r} is not a fault; use ok, drop, 429, a 5xx code, commit-then-drop or commit-then-<5xx>"
        )
    return value


Token = Annotated[str, AfterValidator(_token)]
Rate = Annotated[float, Field(ge=0, le=1)]


class RouteFaults(CamelModel):
    sequence: list[Token] = Field(default_factory=list)
    rates: dict[Token, Rate] = Field(default_factory=dict)
    latency: Annotated[float, Field(ge=0)] = 0.0
    retry_after: Annotated[int, Field(ge=0)] = 1

    @model_validator(mode="after")
    def _rates_add_up(self) -> RouteFaults:
        if sum(self.rates.values()) > 1:
            raise ValueError("rates: the rates add up to more than 1")
        return self


class WebhookFaults(CamelModel):
    """Rates per delivery. `reorder` holds a delivery back until the next one to the same
    subscription has been sent (or `reorderHoldSeconds` pass); `delay` postpones it."""

    drop: Rate = 0.0
    duplicate: Rate = 0.0
    reorder: Rate = 0.0
    delay: Rate = 0.0
    delay_seconds: Annotated[float, Field(ge=0)] = 1.0
    reorder_hold_seconds: Annotated[float, Field(ge=0)] = 2.0

    @property
    def any(self) -> bool:
        return any((self.drop, self.duplicate, self.reorder, self.delay))


def _known_operations(routes: dict[str, RouteFaults]) -> dict[str, RouteFaults]:
    for name in routes:
        if name != ANY_OPERATION and name not in OPERATIONS:
            raise ValueError(f"routes.{name}: not an operation; use one of {', '.join(OPERATIONS)} or '*'")
    return routes


class Faults(CamelModel):
    seed: int | None = None
    # operation name (or "*" for every operation without its own entry) -> its faults
    routes: Annotated[dict[str, RouteFaults], AfterValidator(_known_operations)] = Field(default_factory=dict)
    webhooks: WebhookFaults = Field(default_factory=WebhookFaults)


class WebhookDecision(CamelModel):
    drop: bool = False
    duplicate: bool = False
    reorder: bool = False
    delay: float = 0.0


class FaultInjector:
    """Draws the faults. `faults` is the live (persisted) configuration: sequences shrink as used."""

    def __init__(self, faults: Faults, default_seed: int) -> None:
        self.faults = faults
        self._seed = faults.seed if faults.seed is not None else default_seed
        self._rngs: dict[str, random.Random] = {}

    def _rng(self, stream: str) -> random.Random:
        # One generator per operation, so adding faults to one route does not shift another's draws.
        if stream not in self._rngs:
            self._rngs[stream] = random.Random(f"{self._seed}:{stream}")
        return self._rngs[stream]

    def plan_for(self, operation: str) -> RouteFaults | None:
        return self.faults.routes.get(operation) or self.faults.routes.get(ANY_OPERATION)

    def next_for(self, operation: str) -> str:
        """The fault for the next request to `operation` (consumes one token of a sequence)."""
        plan = self.plan_for(operation)
        if plan is None:
            return "ok"
        if plan.sequence:
            return plan.sequence.pop(0)
        if plan.rates:
            draw = self._rng(operation).random()
            for token, rate in plan.rates.items():
                if draw < rate:
                    return token
                draw -= rate
        return "ok"

    def for_delivery(self) -> WebhookDecision:
        hooks = self.faults.webhooks
        if not hooks.any:
            return WebhookDecision()
        rng = self._rng("webhooks")
        # Always four draws, so one rate's change does not shift the others' decisions.
        drop, duplicate, reorder, delay = (rng.random() for _ in range(4))
        return WebhookDecision(
            drop=drop < hooks.drop,
            duplicate=duplicate < hooks.duplicate,
            reorder=reorder < hooks.reorder,
            delay=hooks.delay_seconds if delay < hooks.delay else 0.0,
        )
