"""`tendlc list`: every onboarding's step at a glance, from Temporal's visibility (search attributes)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from rich.table import Table
from temporalio.client import WorkflowExecution

from runtime.connection import connect
from runtime.settings import StarterSettings
from starter.console import make_console
from workflows.contract import BRAND_ID, CAMPAIGN_ID, ONBOARDING_ID, STEP, Step


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--step", type=Step, choices=list(Step), metavar="STEP", help="only onboardings at this step")
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


def row(execution: WorkflowExecution) -> dict[str, Any]:
    attrs = execution.typed_search_attributes
    return {
        "onboarding_id": attrs.get(ONBOARDING_ID),
        "step": attrs.get(STEP),
        "execution": execution.status.name if execution.status else "UNKNOWN",
        "brand_id": attrs.get(BRAND_ID),
        "campaign_id": attrs.get(CAMPAIGN_ID),
        "started": execution.start_time.isoformat() if execution.start_time else None,
        "closed": execution.close_time.isoformat() if execution.close_time else None,
        "workflow_id": execution.id,
    }


async def fetch(query: str, limit: int) -> list[dict[str, Any]]:
    client = await connect(StarterSettings())
    rows: list[dict[str, Any]] = []
    async for execution in client.list_workflows(query, limit=limit):
        rows.append(row(execution))
    return rows


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
            r["execution"].lower(),
            (r["started"] or "")[:19].replace("T", " "),
            r["brand_id"] or "",
            r["campaign_id"] or "",
        )
    console.print(table)
    console.print(f"{len(rows)} onboarding(s)")
    return 0
