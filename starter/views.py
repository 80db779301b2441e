"""What `tendlc list` and `tendlc costs` show, as plain JSON-ready data: built once here, so that the
text tables and `--json` say the same thing, and other commands can reuse the same rows.

- `onboarding_row(execution)`: one onboarding as visibility knows it (ids in full, never cut).
- `list_view(rows, next_page_token)`: a page of rows and the token of the next page.
- `costs_view(onboardings)`: the charges of the listed onboardings, per onboarding and per kind.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from temporalio.client import WorkflowExecution

from workflows.contract import BRAND_ID, CAMPAIGN_ID, ONBOARDING_ID, STEP, WORKFLOW_ID_PREFIX
from workflows.state import Charge


def onboarding_row(execution: WorkflowExecution) -> dict[str, Any]:
    attrs = execution.typed_search_attributes
    return {
        "onboarding_id": attrs.get(ONBOARDING_ID) or execution.id.removeprefix(WORKFLOW_ID_PREFIX),
        "step": attrs.get(STEP),
        "execution": execution.status.name if execution.status else "UNKNOWN",
        "brand_id": attrs.get(BRAND_ID),
        "campaign_id": attrs.get(CAMPAIGN_ID),
        "started": execution.start_time.isoformat() if execution.start_time else None,
        "closed": execution.close_time.isoformat() if execution.close_time else None,
        "workflow_id": execution.id,
        "run_id": execution.run_id,
    }


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


def _money(amount: Decimal) -> float:
    return float(amount.quantize(Decimal("0.01")))


def _totals(charges: Sequence[Charge]) -> dict[str, float]:
    """Currency -> the sum of the charges that have an amount."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for charge in charges:
        if charge.amount is not None:
            sums[charge.currency or "USD"] += Decimal(str(charge.amount))
    return {currency: _money(total) for currency, total in sorted(sums.items())}


def costs_view(onboardings: Sequence[tuple[dict[str, Any], list[Charge] | None]]) -> dict[str, Any]:
    """`tendlc costs --json`: each listed onboarding's charges and their total, the count and total
    per kind, the grand total; `unknown` names the onboardings whose charges could not be read
    (they are in no total)."""
    per_onboarding: list[dict[str, Any]] = []
    by_kind: dict[str, list[Charge]] = defaultdict(list)
    every: list[Charge] = []
    unknown: list[str] = []
    for row, charges in onboardings:
        if charges is None:
            unknown.append(row["onboarding_id"])
            continue
        for charge in charges:
            by_kind[str(charge.kind)].append(charge)
        every += charges
        per_onboarding.append(
            {
                "onboarding_id": row["onboarding_id"],
                "step": row["step"],
                "charges": [c.model_dump(mode="json") for c in charges],
                "total": _totals(charges),
            }
        )
    return {
        "onboardings": per_onboarding,
        "by_kind": {
            kind: {"count": len(charges), "recurring": sum(c.recurring for c in charges), "total": _totals(charges)}
            for kind, charges in sorted(by_kind.items())
        },
        "total": _totals(every),
        "charges": len(every),
        "unknown": unknown,
    }
