"""`tendlc status ID`: one onboarding at a glance — timeline, Bird objects, the wait in progress,
charges and the last error — from the workflow's `status` query."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime, timezone

from rich.console import Console
from rich.table import Table
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from runtime.connection import connect
from runtime.settings import StarterSettings
from starter.console import make_console
from workflows.contract import WORKFLOW_ID_PREFIX, workflow_id_for
from workflows.onboarding import OnboardingWorkflow
from workflows.state import OnboardingStatus

EXIT_NOT_FOUND, EXIT_UNAVAILABLE = 3, 5


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", help="onboarding id (acme-sms) or workflow id (onboarding-acme-sms)")
    parser.add_argument("--json", action="store_true", help="print the status query's answer as JSON")


def handle_for(client: Client, ident: str) -> WorkflowHandle:
    workflow_id = ident if ident.startswith(WORKFLOW_ID_PREFIX) else workflow_id_for(ident)
    return client.get_workflow_handle(workflow_id)


async def fetch(ident: str) -> tuple[OnboardingStatus, str, str]:
    """The status, the execution's state (RUNNING, COMPLETED, ...) and its UI link."""
    settings = StarterSettings()
    client = await connect(settings)
    handle = handle_for(client, ident)
    description = await handle.describe()
    status = await handle.query(OnboardingWorkflow.status)
    state = description.status.name if description.status else "UNKNOWN"
    return status, state, settings.workflow_url(handle.id)


def run(args: argparse.Namespace) -> int:
    try:
        status, state, url = asyncio.run(fetch(args.id))
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            print(f"no onboarding {args.id!r}", file=sys.stderr)
            return EXIT_NOT_FOUND
        print(f"cannot read {args.id!r}: {exc.message} (is Temporal up, and a worker running?)", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except RuntimeError as exc:
        print(f"cannot reach Temporal: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    if args.json:
        print(json.dumps({"execution": state, "ui": url, **status.model_dump(mode="json")}, indent=2))
    else:
        show(status, state, url, make_console())
    return 0


def _when(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _duration(start: datetime, end: datetime | None) -> str:
    seconds = ((end or datetime.now(timezone.utc)) - start).total_seconds()
    if seconds < 120:
        return f"{seconds:.1f}s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def show(status: OnboardingStatus, state: str, url: str, console: Console) -> None:
    colour = {"DONE": "green", "NEEDS_ACTION": "red", "FAILED": "red", "CANCELLED": "yellow"}.get(status.step, "cyan")
    console.print(f"[bold]{status.onboarding_id}[/]  [{colour}]{status.step.value}[/]  ({state.lower()}, "
                  f"run {status.run}, started {_when(status.started_at)} UTC)")  # fmt: skip
    console.print(f"  {url}")
    if status.blocked is not None:
        console.print(f"\n[red]needs a person[/] since {_when(status.blocked.since)}: {status.blocked.reason}")
    if status.waiting is not None:
        w = status.waiting
        parts = [f"waiting for {w.what} since {_when(w.since)} ({_duration(w.since, None)})"]
        if w.next_poll_at:
            parts.append(f"next poll {_when(w.next_poll_at)}")
        if w.deadline_at:
            parts.append(f"deadline {_when(w.deadline_at)}")
        if w.last_polled_status:
            parts.append(f"last polled status {w.last_polled_status}")
        console.print("\n" + ", ".join(parts))

    timeline = Table(title="steps", title_justify="left", show_edge=False)
    for column in ("step", "outcome", "started (UTC)", "took", "note"):
        timeline.add_column(column)
    for record in status.steps:
        took = _duration(record.started_at, record.ended_at)
        timeline.add_row(record.step.value, record.outcome or "running", _when(record.started_at), took, record.note)
    console.print()
    console.print(timeline)

    objects = Table(title="Bird objects", title_justify="left", show_edge=False)
    for column in ("object", "id", "status", "reason"):
        objects.add_column(column)
    for name in ("number", "brand", "vetting", "campaign", "connector", "channel"):
        tracked = getattr(status.objects, name)
        if tracked.id or tracked.status:
            label = name if name != "number" else f"number {status.objects.number.number_string or ''}".strip()
            objects.add_row(label, tracked.id or "", tracked.status or "", tracked.reason or "")
    console.print()
    console.print(objects)

    if status.charges:
        charges = Table(title="charges", title_justify="left", show_edge=False)
        for column in ("object", "fee", "amount", "note"):
            charges.add_column(column)
        for charge in status.charges:
            amount = f"{charge.amount:.2f} {charge.currency or ''}".strip() if charge.amount is not None else "see Bird"
            note = "recurring" if charge.recurring else ""
            if charge.matched_existing:
                note = (note + ", " if note else "") + "found from an earlier attempt"
            charges.add_row(f"{charge.kind.value} {charge.object_id}", charge.fee, amount, note)
        console.print()
        console.print(charges)

    if status.actions:
        actions = Table(title="actions", title_justify="left", show_edge=False)
        for column in ("at (UTC)", "action", "what was done"):
            actions.add_column(column)
        for action in status.actions:
            actions.add_row(_when(action.at), action.action, action.note)
        console.print()
        console.print(actions)

    if status.last_error is not None:
        e = status.last_error
        console.print(f"\n[red]last error[/] at {_when(e.at)} in {e.step.value} ({e.operation}): {e.message}")
        for field, messages in e.field_errors.items():
            console.print(f"  {field}: {'; '.join(messages)}")
    for warning in status.warnings:
        console.print(f"[yellow]warning[/] {warning.field}: {warning.message} [{warning.rule_id}]")
    console.print(f"\nevents: {status.events_applied} applied of {status.events_received} received"
                  + (f", last at {_when(status.last_event_at)}" if status.last_event_at else ""))  # fmt: skip
