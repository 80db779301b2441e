"""The one JSON shape of an onboarding that every `--json` prints (`status`, `list`, `costs`, the
demo's summary): the same keys everywhere, timestamps ISO-8601 UTC with `Z`, money as decimal
strings ("15.00", never a float). README.md's "JSON output" shows it; tests/starter/test_json_shape.py
checks every command's output against `VIEW_SCHEMA`.

Build one with `onboarding_view(...)` from whatever the command knows: the workflow's status query
answer (`status=`), a visibility row (`execution=`), a finished run's result (`result=`). Keys a
source cannot fill are null (or empty), never missing. Command-specific extras go in `detail`.
`list_view` and `costs_view` wrap such views for `tendlc list` and `tendlc costs`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from typing import Any

from pydantic import BaseModel

from workflows.contract import BRAND_ID, CAMPAIGN_ID, CHANNEL_ID, CONNECTOR_ID, ONBOARDING_ID, STEP, VETTING_ID
from workflows.inputs import OnboardingResult
from workflows.state import Charge, OnboardingStatus

OBJECTS = ("number", "brand", "vetting", "campaign", "connector", "channel")
# Where the answer came from: the workflow itself, or what Temporal keeps when no worker answers.
SOURCES = ("query", "result", "visibility")
# keys whose numbers are money, wherever they appear (in `detail` too)
MONEY_KEYS = frozenset({"amount", "monthly_price", "total"})

_CENT = Decimal("0.01")


def timestamp(value: datetime | None) -> str | None:
    """`2026-11-30T09:33:30.123Z`: UTC, milliseconds, `Z` (a naive time is taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def money(value: Any) -> str | None:
    """`15` / `15.0` / `"15"` -> `"15.00"`; None stays None (Bird did not say)."""
    if value is None or value == "":
        return None
    try:
        return str(Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP))
    except InvalidOperation:
        raise ValueError(f"not an amount of money: {value!r}") from None


def jsonable(value: Any, key: str = "") -> Any:
    """Any model or value as JSON data in this module's conventions (times with Z, money as strings)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python")
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, key) for v in value]
    if key in MONEY_KEYS and isinstance(value, (int, float, Decimal, str)) and not isinstance(value, bool):
        return money(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def charge_view(kind: str, object_id: str | None, amount: Any, currency: str | None, *, fee: str | None = None,
                at: datetime | None = None, recurring: bool = False) -> dict[str, Any]:  # fmt: skip
    return {
        "kind": kind,
        "object_id": object_id,
        "fee": fee,
        "amount": money(amount),
        "currency": currency,
        "recurring": recurring,
        "at": timestamp(at),
    }


def totals(charges: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The sum per currency of the charges whose amount is known."""
    sums: dict[str, Decimal] = {}
    for charge in charges:
        if charge.get("amount") is not None:
            currency = charge.get("currency") or ""
            sums[currency] = sums.get(currency, Decimal(0)) + Decimal(charge["amount"])
    return {currency: money(total) or "0.00" for currency, total in sums.items()}


def _empty_objects() -> dict[str, dict[str, Any]]:
    return {name: {"id": None, "status": None, "reason": None} for name in OBJECTS}


def onboarding_view(
    *,
    workflow_id: str,
    ui: str | None = None,
    status: OnboardingStatus | None = None,
    result: OnboardingResult | None = None,
    execution: Any = None,
    memo: Mapping[str, Any] | None = None,
    charges: list[dict[str, Any]] | None = None,
    detail: Any = None,
) -> dict[str, Any]:
    """One onboarding in the shared shape. `execution` is a `WorkflowExecution` (or its describe()
    answer) from Temporal; `status` wins over `result`, which wins over search attributes."""
    objects = _empty_objects()
    attrs = execution.typed_search_attributes if execution is not None else None
    view: dict[str, Any] = {
        "onboarding_id": None,
        "workflow_id": workflow_id,
        "run_id": execution.run_id if execution is not None else None,
        "step": None,
        "execution": execution.status.name if execution is not None and execution.status else None,
        "source": "visibility",
        "started_at": timestamp(execution.start_time) if execution is not None else None,
        "closed_at": timestamp(execution.close_time) if execution is not None else None,
        "updated_at": None,
        "number": None,
        "objects": objects,
        "blocked": None,
        "warnings": [],
        "charges": [],
        "charge_totals": {},
        "ui": ui,
        "detail": jsonable(detail),
    }
    if attrs is not None:
        view["onboarding_id"] = attrs.get(ONBOARDING_ID)
        view["step"] = attrs.get(STEP)
        for name, key in (("brand", BRAND_ID), ("vetting", VETTING_ID), ("campaign", CAMPAIGN_ID),
                          ("connector", CONNECTOR_ID), ("channel", CHANNEL_ID)):  # fmt: skip
            objects[name]["id"] = attrs.get(key)
    if memo:
        view["warnings"] = jsonable(memo.get("warnings") or [])
    if result is not None:
        view.update(source="result", onboarding_id=result.onboarding_id, step=result.step.value, number=result.number_string)
        for name, value in (("number", result.phone_number_id), ("brand", result.brand_id), ("vetting", result.vetting_id),
                            ("campaign", result.campaign_id), ("connector", result.connector_id),
                            ("channel", result.channel_id)):  # fmt: skip
            objects[name]["id"] = value or objects[name]["id"]
        view["charges"] = [_charge(c) for c in result.charges]
    if status is not None:
        view.update(source="query", onboarding_id=status.onboarding_id, step=status.step.value,
                    number=status.objects.number.number_string, updated_at=timestamp(status.updated_at))  # fmt: skip
        view["started_at"] = view["started_at"] or timestamp(status.started_at)
        for name in OBJECTS:
            tracked = status.objects.get(name)
            objects[name] = {"id": tracked.id, "status": tracked.status, "reason": tracked.reason}
        if status.blocked is not None:
            view["blocked"] = jsonable(status.blocked)
        view["warnings"] = jsonable(status.warnings)
        view["charges"] = [_charge(c) for c in status.charges]
    if charges is not None:
        view["charges"] = charges
    view["charge_totals"] = totals(view["charges"])
    return view


def _charge(charge: Any) -> dict[str, Any]:
    return charge_view(charge.kind.value, charge.object_id, charge.amount, charge.currency, fee=charge.fee,
                       at=charge.at, recurring=charge.recurring)  # fmt: skip


# The JSON schema every view satisfies (tests/starter/test_json_shape.py), shown in README.md.
_TIME = {"type": ["string", "null"], "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"}
_MONEY = {"type": ["string", "null"], "pattern": r"^-?\d+\.\d\d$"}
_TEXT = {"type": ["string", "null"]}
VIEW_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["onboarding_id", "workflow_id", "run_id", "step", "execution", "source", "started_at", "closed_at",
                 "updated_at", "number", "objects", "blocked", "warnings", "charges", "charge_totals", "ui",
                 "detail"],  # fmt: skip
    "properties": {
        "onboarding_id": _TEXT,
        "workflow_id": {"type": "string"},
        "run_id": _TEXT,
        "step": _TEXT,
        "execution": _TEXT,
        "source": {"enum": list(SOURCES)},
        "started_at": _TIME,
        "closed_at": _TIME,
        "updated_at": _TIME,
        "number": _TEXT,
        "objects": {
            "type": "object",
            "additionalProperties": False,
            "required": list(OBJECTS),
            "properties": {
                name: {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["id", "status", "reason"],
                    "properties": {"id": _TEXT, "status": _TEXT, "reason": _TEXT},
                }
                for name in OBJECTS
            },
        },
        "blocked": {"type": ["object", "null"], "properties": {"reason": {"type": "string"}, "since": _TIME}},
        "warnings": {"type": "array", "items": {"type": "object", "required": ["rule_id", "message"]}},
        "charges": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["kind", "object_id", "fee", "amount", "currency", "recurring", "at"],
                "properties": {
                    "kind": {"type": "string"},
                    "object_id": _TEXT,
                    "fee": _TEXT,
                    "amount": _MONEY,
                    "currency": _TEXT,
                    "recurring": {"type": "boolean"},
                    "at": _TIME,
                },
            },
        },
        "charge_totals": {"type": "object", "additionalProperties": {"type": "string", "pattern": r"^-?\d+\.\d\d$"}},
        "ui": _TEXT,
        "detail": {},
    },
}


def onboarding_row(execution: Any, ui: str | None = None) -> dict[str, Any]:
    """One onboarding as visibility knows it (a `WorkflowExecution`): ids in full, never cut."""
    return onboarding_view(workflow_id=execution.id, ui=ui, execution=execution)


def encode_page_token(token: bytes | None) -> str | None:
    """Temporal's page token as text a person can paste back (`--page-token`)."""
    return base64.urlsafe_b64encode(token).decode() if token else None


def decode_page_token(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        return base64.b64decode(text.encode(), altchars=b"-_", validate=True)
    except ValueError:
        raise ValueError(f"--page-token: not a token printed by `tendlc list`: {text!r}") from None


def list_view(rows: Sequence[dict[str, Any]], next_page_token: bytes | None) -> dict[str, Any]:
    """`tendlc list --json`: the rows, and the token of the next page (null on the last page)."""
    return {"onboardings": list(rows), "count": len(rows), "next_page_token": encode_page_token(next_page_token)}


def costs_view(onboardings: Sequence[tuple[dict[str, Any], list[Charge] | None]]) -> dict[str, Any]:
    """`tendlc costs --json`: each listed onboarding (its view, with its charges and their totals),
    the count and totals per kind, and the grand totals; `unknown` names the onboardings whose
    charges could not be read (they are in no total). A charge an onboarding adopted from an earlier
    run of the same id (`earlier_run`) is counted with the run that made it, not twice."""
    per_onboarding: list[dict[str, Any]] = []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    every: list[dict[str, Any]] = []
    unknown: list[str] = []
    for view, charges in onboardings:
        if charges is None:
            unknown.append(view["onboarding_id"] or view["workflow_id"])
            continue
        own = [_charge(c) for c in charges if not c.earlier_run]
        for charge in own:
            by_kind.setdefault(charge["kind"], []).append(charge)
        every += own
        per_onboarding.append({**view, "charges": own, "charge_totals": totals(own)})
    return {
        "onboardings": per_onboarding,
        "by_kind": {
            kind: {"count": len(kind_charges), "recurring": sum(c["recurring"] for c in kind_charges),
                   "totals": totals(kind_charges)}  # fmt: skip
            for kind, kind_charges in sorted(by_kind.items())
        },
        "totals": totals(every),
        "charges": len(every),
        "unknown": unknown,
    }
