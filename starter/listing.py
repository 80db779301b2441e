"""`tendlc list`: every onboarding's step at a glance, from Temporal's visibility (search attributes)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from temporalio.client import WorkflowExecution

from runtime.connection import connect
from runtime.settings import StarterSettings
from starter.console import make_console
from starter.views import onboarding_view
from workflows.contract import ONBOARDING_ID, STEP, Step


def step_name(text: str) -> Step:
    """`done`, `Done` or `DONE`; anything else is refused listing the valid steps."""
    try:
        return Step(text.strip().upper())
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid step {text!r}; valid steps: {', '.join(Step)}") from None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--step", type=step_name, metavar="STEP", help=f"only onboardings at this step ({', '.join(Step)}; any case)")
    parser.add_argument("--needs-action", action="store_true", help="only onboardings waiting for a person")
    parser.add_argument("--open", action="store_true", help="only onboardings still running")
    parser.add_argument("--limit", type=int, default=200, help="at most this many rows (default 200)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")


def query_for(args: argparse.Namespace) -> str:
    """The visibility query. Every onboarding sets OnboardingId when it starts."""
    clauses = [f"{ONBOARDING_ID.name} IS NOT NULL"]
    step = Step.NEEDS_ACTION if args.needs_action else args.step
    if step is not None:
        clauses.append(f"{STEP.name} = '{step.value}'")
    if args.open:
        clauses.append("ExecutionStatus = 'Running'")
    return " AND ".join(clauses)


def row(execution: WorkflowExecution, settings: StarterSettings) -> dict[str, Any]:
    """One onboarding in the shared JSON shape (starter/views.py), from its search attributes."""
    return onboarding_view(workflow_id=execution.id, ui=settings.workflow_url(execution.id), execution=execution)


async def fetch(query: str, limit: int) -> list[dict[str, Any]]:
    settings = StarterSettings()
    client = await connect(settings)
    rows: list[dict[str, Any]] = []
    async for execution in client.list_workflows(query, limit=limit):
        rows.append(row(execution, settings))
    return rows


def print_whole(console: Console, table: Table) -> None:
    """Print the table at its natural width even when the terminal is narrower: an id cut short
    (or folded in two) cannot be pasted into the next command."""
    needed = Measurement.get(console, console.options.update_width(100_000), table).maximum
    if needed > console.width:
        console.width = needed
    console.print(table)


def run(args: argparse.Namespace) -> int:
    try:
        rows = asyncio.run(fetch(query_for(args), args.limit))
    except RuntimeError as exc:
        print(f"cannot reach Temporal: {exc}", file=sys.stderr)
        return 5
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    console = make_console()
    if not rows:
        console.print("no onboardings match")
        return 0
    table = Table(show_edge=False)
    for column in ("onboarding", "step", "execution", "started (UTC)", "brand", "campaign"):
        table.add_column(column)
    colours = {"DONE": "green", "NEEDS_ACTION": "red", "FAILED": "red", "CANCELLED": "yellow"}
    for r in rows:
        step = r["step"] or ""
        table.add_row(
            r["onboarding_id"] or r["workflow_id"],
            f"[{colours.get(step, 'cyan')}]{step}[/]",
            (r["execution"] or "unknown").lower(),
            (r["started_at"] or "")[:19].replace("T", " "),
            r["objects"]["brand"]["id"] or "",
            r["objects"]["campaign"]["id"] or "",
        )
    print_whole(console, table)
    console.print(f"{len(rows)} onboarding(s)")
    return 0
