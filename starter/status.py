"""`tendlc status ID`: one onboarding at a glance — timeline, Bird objects, the wait in progress,
charges and the last error — from the workflow's `status` query.

When no worker answers the query within `--query-timeout` seconds (the worker is down, or busy),
the answer comes from what Temporal itself holds: the search attributes (step and Bird ids), the
memo (pre-flight warnings and accepted findings), and for a closed run its result; the output
says so. Exit codes are README.md's table: 0 running or DONE, 1 FAILED or CANCELLED (or the run
ended otherwise), 2 not an onboarding id, 3 no such onboarding, 4 NEEDS_ACTION, 5 Temporal unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError, RPCStatusCode

from runtime.connection import connect
from runtime.settings import StarterSettings
from starter.console import make_console
from starter.views import jsonable, onboarding_view
from workflows.contract import WORKFLOW_ID_PREFIX, Step, workflow_id_for
from workflows.inputs import OnboardingResult
from workflows.onboarding import OnboardingWorkflow
from workflows.state import OnboardingStatus

EXIT_OK, EXIT_ENDED, EXIT_BAD_ID, EXIT_NOT_FOUND, EXIT_NEEDS_ACTION, EXIT_UNAVAILABLE = 0, 1, 2, 3, 4, 5
# the same characters a request's onboarding_id may have (intake/request.py)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,220}$")
DEFAULT_QUERY_TIMEOUT = 3.0


class Unavailable(Exception):
    """Temporal cannot be reached (or refused the call): exit 5."""


class NotFound(Exception):
    """No onboarding with this id: exit 3."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", help="onboarding id (acme-sms) or workflow id (onboarding-acme-sms)")
    parser.add_argument("--json", action="store_true", help="print the onboarding as JSON (README.md: JSON output)")
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=DEFAULT_QUERY_TIMEOUT,
        help=f"seconds to wait for a worker to answer before showing what Temporal holds (default {DEFAULT_QUERY_TIMEOUT:g})",
    )


def handle_for(client: Client, ident: str) -> WorkflowHandle:
    workflow_id = ident if ident.startswith(WORKFLOW_ID_PREFIX) else workflow_id_for(ident)
    return client.get_workflow_handle(workflow_id)


def exit_code_for(step: str | None, execution: str | None) -> int:
    """The README's table, for an onboarding that was found."""
    if step == Step.NEEDS_ACTION:
        return EXIT_NEEDS_ACTION
    if step in (Step.FAILED, Step.CANCELLED):
        return EXIT_ENDED
    if step == Step.DONE:
        return EXIT_OK
    # a run that ended without reaching a final step (terminated, timed out, failed)
    return EXIT_OK if execution in (None, "RUNNING", "COMPLETED", "CONTINUED_AS_NEW") else EXIT_ENDED


async def _result(handle: WorkflowHandle) -> OnboardingResult | None:
    try:
        raw = await handle.result(follow_runs=False, rpc_timeout=timedelta(seconds=5))
        return OnboardingResult.model_validate(raw)
    except (WorkflowFailureError, RPCError):
        return None


async def fetch(ident: str, *, query_timeout: float = DEFAULT_QUERY_TIMEOUT) -> tuple[dict[str, Any], OnboardingStatus | None]:
    """The onboarding's view (starter/views.py) and, when a worker answered, the full status."""
    settings = StarterSettings()
    try:
        client = await connect(settings)
    except RuntimeError as exc:
        raise Unavailable(f"cannot reach Temporal at {settings.temporal_address}: {exc}") from None
    handle = handle_for(client, ident)
    try:
        description = await handle.describe(rpc_timeout=timedelta(seconds=10))
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise NotFound(ident) from None
        raise Unavailable(f"cannot read {handle.id}: {exc.message}") from None
    url = settings.workflow_url(handle.id)
    status: OnboardingStatus | None = None
    try:
        status = await handle.query(OnboardingWorkflow.status, rpc_timeout=timedelta(seconds=query_timeout))
    except (RPCError, WorkflowQueryFailedError):
        status = None  # no worker answered in time: what Temporal holds is enough to say where it stands
    memo = await description.memo()
    result = None
    if status is None and description.status == WorkflowExecutionStatus.COMPLETED:
        result = await _result(handle)
    view = onboarding_view(workflow_id=handle.id, ui=url, status=status, result=result, execution=description, memo=memo)
    if status is None:
        view["detail"] = {"note": f"no worker answered the status query within {query_timeout:g}s; "
                                  "showing what Temporal holds (search attributes, memo"
                                  + (", result)" if result is not None else ")")}  # fmt: skip
    else:
        view["detail"] = onboarding_view_detail(status)
    return view, status


def onboarding_view_detail(status: OnboardingStatus) -> Any:
    """What only the query knows, in the view's conventions: timeline, waits, actions, errors."""
    return jsonable(status.model_dump(include={"waiting", "steps", "actions", "last_error", "events_received",
                                               "events_applied", "last_event_at", "run", "history_length"}))  # fmt: skip


def run(args: argparse.Namespace) -> int:
    if not _ID.match(args.id):
        print(f"not an onboarding id: {args.id!r} (letters, digits, '.', '_', '-')", file=sys.stderr)
        return EXIT_BAD_ID
    try:
        view, status = asyncio.run(fetch(args.id, query_timeout=args.query_timeout))
    except NotFound:
        print(f"no onboarding {args.id!r}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except Unavailable as exc:
        print(exc, file=sys.stderr)
        return EXIT_UNAVAILABLE
    if args.json:
        print(json.dumps(view, indent=2))
    elif status is not None:
        show(status, view["execution"] or "UNKNOWN", view["ui"] or "", make_console())
    else:
        show_held(view, make_console())
    return exit_code_for(view["step"], view["execution"])


def show_held(view: dict[str, Any], console: Console) -> None:
    """The fallback: what Temporal holds, when no worker answered."""
    console.print(f"[bold]{view['onboarding_id'] or view['workflow_id']}[/]  {view['step'] or '?'}  "
                  f"({(view['execution'] or 'unknown').lower()}, started {view['started_at'] or '?'})")  # fmt: skip
    console.print(f"  {view['ui']}")
    console.print(f"[yellow]{view['detail']['note']}[/]")
    for name, obj in view["objects"].items():
        if obj["id"]:
            console.print(f"  {name:<10} {obj['id']}")
    for charge in view["charges"]:
        console.print(f"  charge {charge['kind']} {charge['object_id']} {charge['amount'] or 'see Bird'} {charge['currency'] or ''}")
    for warning in view["warnings"]:
        state = "accepted" if warning.get("accepted") else "warning"
        console.print(f"  {state} {warning.get('field', '')}: {warning['message']} [{warning['rule_id']}]")


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _duration(start: datetime, end: datetime | None) -> str:
    seconds = ((end or datetime.now(UTC)) - start).total_seconds()
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
        label = "accepted" if warning.accepted else "warning"  # an overridden error stays in view
        console.print(f"[yellow]{label}[/] {warning.field}: {warning.message} [{warning.rule_id}]")
    console.print(f"\nevents: {status.events_applied} applied of {status.events_received} received"
                  + (f", last at {_when(status.last_event_at)}" if status.last_event_at else ""))  # fmt: skip
