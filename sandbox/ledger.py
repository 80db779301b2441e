"""The charge ledger: every billable action, so a test can assert "charged exactly once".

One entry per billable action (a campaign's registration and its three-month commitment are one
create, hence one entry, with the breakdown in its description).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from sandbox.state import Charge, ChargeKind, State
from sandbox.wire import iso, new_id


def charge(
    state: State,
    *,
    kind: ChargeKind,
    object_id: str,
    amount: Decimal,
    currency: str,
    description: str,
    operation: str,
) -> Charge:
    entry = Charge(
        id=new_id(),
        kind=kind,
        object_id=object_id,
        amount=amount,
        currency=currency,
        description=description,
        operation=operation,
        at=iso(),
    )
    state.ledger.append(entry)
    return entry


def summary(entries: list[Charge]) -> dict[str, Any]:
    """The entries with their count per kind and total per currency."""
    totals: dict[str, Decimal] = {}
    for entry in entries:
        totals[entry.currency] = totals.get(entry.currency, Decimal("0")) + entry.amount
    return {
        "entries": [entry.model_dump(mode="json") for entry in entries],
        "counts": dict(Counter(entry.kind for entry in entries)),
        "totals": {currency: str(total) for currency, total in totals.items()},
    }
