"""`tendlc costs [--json]`: what the onboardings `tendlc list` would list have been charged, per
onboarding and per kind, with the totals.

The onboardings come from visibility, page by page (the same filters as `list`); each one's
charges from its own record: the result of a run that completed, else the `status` query
(answered by a worker, for running and failed runs alike), a bounded number at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import timedelta
from typing import Any

from rich.text import Text
from temporalio.client import Client

from runtime.connection import connect
from runtime.settings import StarterSettings
from starter.console import make_console
from starter.listing import UNAVAILABLE, add_filters, every_page, query_for, run_query
from starter.views import costs_view
from workflows.inputs import OnboardingResult
from workflows.onboarding import OnboardingWorkflow
from workflows.state import Charge

# Onboardings whose charges are read at once.
CONCURRENCY = 32


def configure(parser: argparse.ArgumentParser) -> None:
    add_filters(parser)
    parser.add_argument("--json", action="store_true", help="per onboarding, per kind and in total, as JSON")


async def charges_of(client: Client, row: dict[str, Any]) -> list[Charge] | None:
    """The onboarding's charges, or None when neither its result nor a worker can say."""
    handle = client.get_workflow_handle(row["workflow_id"], run_id=row["run_id"], result_type=OnboardingResult)
    try:
        if row["execution"] == "COMPLETED":
            result: OnboardingResult = await handle.result(rpc_timeout=timedelta(seconds=10))
            return list(result.charges)
        status = await handle.query(OnboardingWorkflow.status, rpc_timeout=timedelta(seconds=10))
        return list(status.charges)
    except Exception:  # noqa: BLE001 - any failure (no worker, timeout, a failed run): unknown, and said so
        return None


async def collect(client: Client, query: str, settings: StarterSettings | None = None) -> list[tuple[dict[str, Any], list[Charge] | None]]:
    rows = [row async for page in every_page(client, query, settings=settings) for row in page]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(row: dict[str, Any]) -> list[Charge] | None:
        async with gate:
            return await charges_of(client, row)

    return list(zip(rows, await asyncio.gather(*(one(row) for row in rows)), strict=True))


def _money(totals: dict[str, str]) -> str:
    return ", ".join(f"{amount} {currency}".strip() for currency, amount in totals.items()) or "-"


def print_costs(view: dict[str, Any]) -> None:
    """Per onboarding (ids whole, columns as wide as their longest value), per kind, the total."""
    console = make_console()
    if not view["onboardings"] and not view["unknown"]:
        console.print("no onboardings match")
        return
    header = ("onboarding", "step", "charges", "total")
    cells = [
        (
            o["onboarding_id"] or o["workflow_id"],
            o["step"] or "",
            ", ".join(c["kind"] for c in o["charges"]),
            _money(o["charge_totals"]),
        )
        for o in view["onboardings"]
    ]
    widths = [max(len(c[i]) for c in [header, *cells]) for i in range(len(header))]
    for i, c in enumerate([header, *cells]):
        console.print(Text("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip(), style="bold" if i == 0 else ""))
    console.print(Text("per kind:", style="bold"))
    for kind, k in view["by_kind"].items():
        console.print(f"  {kind:<10} {k['count']:>6} charge(s)  {_money(k['totals'])}")
    console.print(
        f"total: {view['charges']} charge(s) over {len(view['onboardings'])} onboarding(s): {_money(view['totals'])}"
    )
    if view["unknown"]:
        console.print(f"charges unknown (no result, and no worker answered the status query): {len(view['unknown'])}")
        for onboarding_id in view["unknown"]:
            console.print(f"  {onboarding_id}")


def run(args: argparse.Namespace) -> int:
    async def go() -> dict[str, Any]:
        settings = StarterSettings()
        client = await connect(settings)
        return costs_view(await collect(client, query_for(args), settings))

    view = run_query(go())
    if view is None:
        return UNAVAILABLE
    if args.json:
        print(json.dumps(view, indent=2))
    else:
        print_costs(view)
    return 0
