"""`tendlc demo` (`make demo`): the whole product on this machine, one onboarding start to finish.

Starts a Temporal dev server (Web UI on :8233), the Bird sandbox, the relay with the webhook
subscriptions, and a worker; onboards `examples/onboarding.json`; shows every step live; ends with
the ids, the charges from the sandbox's ledger, the time taken and the UI link.

`--scenario declined` has the sandbox decline the campaign first: the demo then shows NEEDS_ACTION
with the registry's reason, corrects the campaign with the `resubmit_campaign` Update, as
`tendlc resubmit-campaign` would, and carries on to DONE.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError

from bird.statuses import DECLINED
from runtime.connection import connect
from runtime.processes import StackError
from runtime.settings import StarterSettings
from runtime.stack import LocalStack, StackConfig
from starter.console import make_console
from starter.start import Refused, prepare, start
from starter.views import charge_view, onboarding_view
from workflows.contract import FLOW, TERMINAL_STEPS, Step, workflow_id_for
from workflows.messages import ResubmitCampaign
from workflows.onboarding import OnboardingWorkflow
from workflows.state import OnboardingStatus

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "onboarding.json"
STATE_FILE = "stack.json"  # the kept stack's processes, for `tendlc demo --stop`
ENV_FILE = "env"  # the kept stack's environment, for `. .tendlc/env`

# `--scenario declined`: the campaign's first review declines it, the review after the
# resubmission approves it (sandbox/scenario.py); other kinds are approved as by default.
DECLINED_SCENARIO = {
    "campaign": [
        {
            "outcome": "decline",
            "reason": {"description": "The description does not say how customers agree to receive messages", "code": "CMP-3001"},
        },
        {"outcome": "approve"},
    ]
}
DECLINED_CORRECTION = {
    "description": "Acme Plumbing sends appointment confirmations, technician arrival windows and job completion "
    "notices to customers who ticked the SMS consent box on the booking form when booking a plumbing visit."
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--request", type=Path, default=EXAMPLE, help="request file (default: examples/onboarding.json)")
    parser.add_argument("--keep", action="store_true", help="leave everything running to explore (stop: --stop)")
    parser.add_argument("--stop", action="store_true", help="stop a stack left running by --keep")
    parser.add_argument("--home", type=Path, default=Path(".tendlc"), help="state and logs (default: .tendlc)")
    parser.add_argument("--delay", type=float, default=None, help="sandbox review/linking delay in seconds")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    parser.add_argument("--temporal-port", type=int, default=7233)
    parser.add_argument("--ui-port", type=int, default=8233)
    parser.add_argument("--sandbox-port", type=int, default=8787)
    parser.add_argument("--relay-port", type=int, default=8788)
    parser.add_argument("--summary-json", type=Path, help="also write the summary as JSON to this file")
    parser.add_argument(
        "--scenario",
        choices=("default", "declined"),
        default="default",
        help="declined: the campaign is declined first, then corrected with resubmit_campaign and approved",
    )


def run(args: argparse.Namespace) -> int:
    console = make_console()
    if args.stop:
        return stop_kept(args.home, console)
    config = StackConfig(
        home=args.home,
        temporal_port=args.temporal_port,
        ui_port=args.ui_port,
        sandbox_port=args.sandbox_port,
        relay_port=args.relay_port,
        sandbox_delay=args.delay,
    )
    stack = LocalStack(config)
    began = time.monotonic()
    try:
        with console.status("starting Temporal, the Bird sandbox, the relay and a worker…"):
            stack.start()
        console.print(f"[green]✓[/] stack up in {time.monotonic() - began:.1f}s "
                      f"(logs in {stack.home / 'logs'}), Temporal UI: {config.ui_url}")  # fmt: skip
        os.environ.update(config.env())  # this process talks to the stack like any client would
        return asyncio.run(onboard(stack, args, console, began))
    except StackError as exc:
        console.print(f"[red]✗[/] {exc}")
        return 1
    except KeyboardInterrupt:
        console.print("\ninterrupted: stopping everything")
        args.keep = False
        return 130
    finally:
        if args.keep and stack.supervisor.children:
            keep(stack, console)
        else:
            stack.stop()


async def onboard(stack: LocalStack, args: argparse.Namespace, console: Console, began: float) -> int:
    settings = StarterSettings()
    try:
        input = prepare(str(args.request), settings)
    except Refused as refused:
        console.print(f"[red]✗[/] {refused.source}: " + "; ".join(refused.problems))
        return 2
    client = await connect(settings)
    if args.scenario == "declined":
        stack.sandbox("scenario", method="PUT", body=DECLINED_SCENARIO)
    code, handle = await start(client, input, task_queue=settings.tendlc_task_queue, out=sys.stdout)
    if handle is None:
        return code
    url = settings.workflow_url(workflow_id_for(input.onboarding_id))
    deadline = time.monotonic() + args.timeout
    printed: dict[Step, str] = {}
    status = await watch(handle, console, deadline=deadline, printed=printed)
    if (
        args.scenario == "declined"
        and status is not None
        and status.step == Step.NEEDS_ACTION
        and await resubmit_declined(handle, status, console)
    ):
        status = await watch(handle, console, deadline=deadline, printed=printed)
    summary = summarize(status, stack.ledger(), url, time.monotonic() - began, workflow_id_for(input.onboarding_id))
    print_summary(summary, console)
    if args.summary_json:
        args.summary_json.write_text(json.dumps(summary, indent=2))
    return 0 if status is not None and status.step == Step.DONE else 1


# -- live progress --------------------------------------------------------------------------------


async def watch(
    handle: WorkflowHandle, console: Console, *, deadline: float, printed: dict[Step, str] | None = None
) -> OnboardingStatus | None:
    """Show the steps until the onboarding ends, needs a person, or time runs out. `printed` (the
    outcomes already shown) carries over between calls, so a second watch shows only what changed."""
    status: OnboardingStatus | None = None
    printed = {} if printed is None else printed
    with Live(console=console, refresh_per_second=8, transient=False) if console.is_terminal else _NoLive() as live:
        while time.monotonic() < deadline:
            try:
                status = await handle.query(OnboardingWorkflow.status)
            except RPCError:
                await asyncio.sleep(0.5)
                continue
            if console.is_terminal:
                live.update(render(status))
            else:
                print_changes(status, printed, console)
            if status.step in TERMINAL_STEPS or status.step == Step.NEEDS_ACTION:
                return status
            await asyncio.sleep(0.25)
    console.print(f"[red]✗[/] gave up after the timeout; the onboarding is still {status.step if status else '?'}")
    return status


async def resubmit_declined(handle: WorkflowHandle, status: OnboardingStatus, console: Console) -> bool:
    """What a person does about a declined campaign: read why, correct it, resubmit it."""
    blocked = status.blocked
    if blocked is None or blocked.status != DECLINED:
        return False
    console.print(f"[red]NEEDS_ACTION[/] {blocked.reason}")
    fields = ", ".join(DECLINED_CORRECTION)
    console.print(f"correcting the campaign ({fields}) and sending resubmit_campaign "
                  f"(tendlc resubmit-campaign {status.onboarding_id} --file changes.json)")  # fmt: skip
    try:
        result = await handle.execute_update(
            OnboardingWorkflow.resubmit_campaign, ResubmitCampaign(changes=DECLINED_CORRECTION)
        )
    except WorkflowUpdateFailedError as exc:
        console.print(f"[red]✗[/] resubmit_campaign failed: {exc.cause or exc}")
        return False
    console.print(f"[green]✓[/] resubmit_campaign accepted: {result.done}; now {result.step.value}")
    return True


class _NoLive:
    def __enter__(self) -> _NoLive:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def update(self, renderable: object) -> None:
        """Like `Live.update`; never called: without a terminal the changes are printed instead."""


def _rows(status: OnboardingStatus) -> list[tuple[Step, str, float | None, str, bool]]:
    """(step, outcome, seconds, note, in progress) for every step of the flow, in order."""
    now = datetime.now(UTC)
    records = {r.step: r for r in status.steps}
    rows: list[tuple[Step, str, float | None, str, bool]] = []
    for step in FLOW:
        record = records.get(step)
        if record is None:
            rows.append((step, "", None, "", False))
            continue
        end = record.ended_at or now
        current = record.ended_at is None
        note = record.note
        if current and status.waiting is not None and status.waiting.step == step:
            note = f"waiting for {status.waiting.what} (webhook, or a poll)"
        rows.append((step, record.outcome or "running", (end - record.started_at).total_seconds(), note, current))
    return rows


def render(status: OnboardingStatus) -> Group:
    table = Table.grid(padding=(0, 2))
    for _ in range(4):
        table.add_column()
    marks = {"done": "[green]✓[/]", "skipped": "[dim]–[/]", "blocked": "[red]✗[/]", "": "[dim]·[/]"}
    for step, outcome, seconds, note, current in _rows(status):
        mark: Any = Spinner("dots", style="cyan") if current else Text.from_markup(marks.get(outcome, "·"))
        elapsed = f"{seconds:5.1f}s" if seconds is not None else ""
        table.add_row(mark, Text(step.value, style="bold" if current else ""), elapsed, Text(note, style="dim"))
    parts: list[Any] = [table]
    if status.blocked is not None:
        parts.append(Text(f"NEEDS_ACTION: {status.blocked.reason}", style="red"))
    return Group(*parts)


def print_changes(status: OnboardingStatus, printed: dict[Step, str], console: Console) -> None:
    for step, outcome, seconds, note, _ in _rows(status):
        if outcome and printed.get(step) != outcome:
            printed[step] = outcome
            console.print(f"{step.value:<18} {outcome:<8} {seconds or 0:6.1f}s  {note}".rstrip())


# -- the summary ----------------------------------------------------------------------------------


def summarize(status: OnboardingStatus | None, ledger: dict[str, Any], url: str, seconds: float,
              workflow_id: str) -> dict[str, Any]:  # fmt: skip
    """The onboarding in the shared JSON shape (starter/views.py), its charges from the sandbox's
    ledger (what Bird billed), the demo's own figures in `detail`."""
    charges = [charge_view(e["kind"], e["objectId"], e["amount"], e["currency"]) for e in ledger.get("entries", [])]
    detail = {"seconds": f"{seconds:.1f}", "charge_counts": ledger.get("counts", {}), "charges_from": "sandbox ledger"}
    return onboarding_view(workflow_id=workflow_id, ui=url, status=status, charges=charges, detail=detail)


def print_summary(summary: dict[str, Any], console: Console) -> None:
    ok = summary["step"] == Step.DONE
    console.print()
    console.print(f"[{'green' if ok else 'red'}]{summary['step']}[/] {summary['onboarding_id']} "
                  f"in {summary['detail']['seconds']}s, number {summary['number']}")  # fmt: skip
    if summary["blocked"]:
        console.print(f"  needs a person: {summary['blocked']['reason']}")
    for name, obj in summary["objects"].items():
        if obj["id"]:
            console.print(f"  {name:<10} {obj['id']}")
    console.print("  charges (sandbox ledger):")
    for charge in summary["charges"]:
        console.print(f"    {charge['kind']:<10} {charge['amount']:>8} {charge['currency']}  {charge['object_id']}")
    totals = ", ".join(f"{amount} {currency}" for currency, amount in summary["charge_totals"].items())
    console.print(f"    total      {totals}")
    console.print(f"  Temporal UI: {summary['ui']}")


# -- keeping the stack ----------------------------------------------------------------------------


def write_env(stack: LocalStack) -> Path:
    """The kept stack's environment as a shell file (`. .tendlc/env`), so that the next `tendlc`
    command talks to this stack. Readable by its owner only: it holds the sandbox's keys."""
    path = stack.config.home / ENV_FILE
    lines = ["# the environment of the stack `tendlc demo --keep` left running; use: . " + str(path)]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in sorted(stack.config.env().items())]
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text("\n".join(lines) + "\n")
    return path


def keep(stack: LocalStack, console: Console) -> None:
    pids = {child.name: child.process.pid for child in stack.supervisor.children}
    (stack.home / STATE_FILE).write_text(json.dumps(pids))
    env = write_env(stack)
    home = "" if stack.config.home == Path(".tendlc") else f" --home {stack.config.home}"
    console.print(f"left running: {', '.join(f'{n} (pid {p})' for n, p in pids.items())}")
    console.print(f"its environment is in {env}; to use the stack from this shell:")
    console.print(f"  . {env}")
    console.print("  .venv/bin/tendlc status acme-sms      # or: tendlc list, tendlc start examples/…")
    console.print(f"stop with: .venv/bin/tendlc demo --stop{home}")


def stop_kept(home: Path, console: Console) -> int:
    state = home / STATE_FILE
    if not state.exists():
        console.print(f"nothing to stop: no {state}")
        return 0
    for name, pid in json.loads(state.read_text()).items():
        try:
            os.killpg(pid, signal.SIGTERM)
            console.print(f"stopped {name} (pid {pid})")
        except ProcessLookupError:
            console.print(f"{name} (pid {pid}) was not running")
    state.unlink()
    (home / ENV_FILE).unlink(missing_ok=True)  # it named a stack that is gone
    return 0
