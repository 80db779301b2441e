"""`tendlc start FILE [--wait]` (and `python -m starter FILE`): validate a request, start its onboarding.

Nothing reaches Temporal (let alone Bird, where creates cost money) until the whole request is known
to be usable: schema errors, missing workspace/organization and pre-flight errors are all listed at
once and refuse the start with exit code 2.

Exit codes: 0 started (with --wait: DONE), 1 ended FAILED or CANCELLED, 2 request refused,
3 an onboarding with this id is already open (or already completed), 4 NEEDS_ACTION,
5 Temporal not reachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from intake.inputs import onboarding_input
from intake.preflight import check_request
from intake.request import OnboardingRequest, RequestError, load_request
from intake.summary import start_details, start_summary
from runtime.connection import connect
from runtime.settings import StarterSettings
from workflows.contract import ONBOARDING_ID, STEP, Step, workflow_id_for
from workflows.inputs import OnboardingInput
from workflows.onboarding import OnboardingWorkflow
from workflows.state import OnboardingStatus, PreflightWarning

EXIT_OK, EXIT_ENDED, EXIT_REFUSED, EXIT_ALREADY_OPEN, EXIT_NEEDS_ACTION, EXIT_UNAVAILABLE = 0, 1, 2, 3, 4, 5


class Refused(Exception):
    """The request cannot be started; `problems` lists every reason, each naming its field."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the onboarding request (JSON), e.g. examples/onboarding.json")
    parser.add_argument("--wait", action="store_true", help="show each step as it happens; exit 0 on DONE")
    parser.add_argument("--interval", type=float, default=1.0, help="with --wait: seconds between status checks")


def preflight(request: OnboardingRequest) -> tuple[list[str], list[PreflightWarning]]:
    """Pre-flight findings as (errors, warnings): errors refuse the start, warnings are recorded."""
    errors: list[str] = []
    warnings: list[PreflightWarning] = []
    for finding in check_request(request):
        if finding.severity == "error":
            errors.append(f"{finding.field}: {finding.message} [{finding.rule_id}]")
        else:
            warnings.append(PreflightWarning(rule_id=finding.rule_id, field=finding.field, message=finding.message))
    return errors, warnings


def _raw_ids(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _settings_problems(request_ids: dict[str, Any], settings: StarterSettings) -> list[str]:
    problems = []
    if not (request_ids.get("workspace_id") or settings.bird_workspace_id):
        problems.append("workspace_id: not in the request, and BIRD_WORKSPACE_ID is not set")
    if not (request_ids.get("organization_id") or settings.bird_organization_id):
        problems.append("organization_id: not in the request, and BIRD_ORGANIZATION_ID is not set")
    if settings.tendlc_poll_max_seconds < settings.tendlc_poll_min_seconds:
        problems.append("TENDLC_POLL_MAX_SECONDS: must not be below TENDLC_POLL_MIN_SECONDS")
    return problems


def prepare(path: str, settings: StarterSettings) -> OnboardingInput:
    """The workflow input for a request file, or `Refused` with every problem found."""
    try:
        request = load_request(path)
    except RequestError as exc:
        raise Refused(exc.source, exc.errors + _settings_problems(_raw_ids(path), settings)) from None
    problems = _settings_problems(request.model_dump(include={"workspace_id", "organization_id"}), settings)
    errors, warnings = preflight(request)
    problems += errors
    if problems:
        raise Refused(path, problems)
    workspace_id = request.workspace_id or settings.bird_workspace_id
    organization_id = request.organization_id or settings.bird_organization_id
    return onboarding_input(
        request,
        workspace_id=workspace_id or "",
        organization_id=organization_id or "",
        poll=settings.poll(),
        warnings=warnings,
    )


async def start(
    client: Client, input: OnboardingInput, *, task_queue: str, out: TextIO
) -> tuple[int, WorkflowHandle | None]:
    """Start the onboarding; refuse (exit 3) while one with the same id is open or after one completed."""
    workflow_id = workflow_id_for(input.onboarding_id)
    try:
        handle = await client.start_workflow(
            OnboardingWorkflow.run,
            input,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            # A completed onboarding is not started again (a second number would be bought);
            # one that failed or was terminated may be.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            static_summary=start_summary(input),
            static_details=start_details(input),
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(ONBOARDING_ID, input.onboarding_id),
                    SearchAttributePair(STEP, Step.BUY_NUMBER.value),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        description = await client.get_workflow_handle(workflow_id).describe()
        state = "is already open" if description.status == WorkflowExecutionStatus.RUNNING else "already completed"
        print(
            f"refused: {workflow_id} {state} in run {description.run_id} "
            f"(started {description.start_time:%Y-%m-%d %H:%M:%S} UTC)",
            file=out,
        )
        return EXIT_ALREADY_OPEN, None
    print(f"started {workflow_id} (run {handle.result_run_id})", file=out)
    return EXIT_OK, handle


def _line(status: OnboardingStatus, index: int) -> str:
    record = status.steps[index]
    when = (record.ended_at or record.started_at).strftime("%Y-%m-%d %H:%M:%S")
    outcome = record.outcome or "started"
    return f"{when}  {record.step.value:<18} {outcome:<8} {record.note}".rstrip()


async def follow(handle: WorkflowHandle, *, interval: float, out: TextIO) -> int:
    """Print each step as it starts and ends, until DONE (0), NEEDS_ACTION (4), or an end (1)."""
    printed: dict[int, str | None] = {}
    waiting_for: str | None = None
    said_no_worker = False
    while True:
        try:
            status: OnboardingStatus = await handle.query(OnboardingWorkflow.status, rpc_timeout=timedelta(seconds=10))
        except RPCError:
            description = await handle.describe()
            if description.status not in (None, WorkflowExecutionStatus.RUNNING):
                print(f"{handle.id} ended {description.status.name}", file=out)
                return EXIT_ENDED
            if not said_no_worker:
                print("no answer from a worker yet; still waiting (is `tendlc worker` running?)", file=out)
                said_no_worker = True
            await asyncio.sleep(interval)
            continue
        said_no_worker = False
        for index, record in enumerate(status.steps):
            if printed.get(index, "unseen") != record.outcome:
                printed[index] = record.outcome
                print(_line(status, index), file=out)
        if status.waiting is not None and status.waiting.what != waiting_for:
            waiting_for = status.waiting.what
            print(f"{'':21}waiting for {waiting_for} (event or poll)", file=out)
        if status.step == Step.DONE:
            channel = status.objects.channel.id or "?"
            print(f"DONE: channel {channel} on number {status.objects.number.number_string}", file=out)
            return EXIT_OK
        if status.step == Step.NEEDS_ACTION:
            print(f"NEEDS_ACTION: {status.blocked.reason if status.blocked else 'see status'}", file=out)
            return EXIT_NEEDS_ACTION
        if status.step in (Step.FAILED, Step.CANCELLED):
            print(f"{status.step.value}", file=out)
            return EXIT_ENDED
        await asyncio.sleep(interval)


async def start_and_follow(
    input: OnboardingInput, settings: StarterSettings, *, wait: bool, interval: float, out: TextIO
) -> int:
    try:
        client = await connect(settings)
    except RuntimeError as exc:
        print(f"cannot reach Temporal at {settings.temporal_address}: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    code, handle = await start(client, input, task_queue=settings.tendlc_task_queue, out=out)
    print(settings.workflow_url(workflow_id_for(input.onboarding_id)), file=out)
    if handle is None or not wait:
        return code
    return await follow(handle, interval=interval, out=out)


def run(args: argparse.Namespace) -> int:
    settings = StarterSettings()
    try:
        input = prepare(args.file, settings)
    except Refused as refused:
        print(f"{refused.source}: not started", file=sys.stderr)
        for problem in refused.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_REFUSED
    for warning in input.warnings:
        print(f"warning: {warning.field}: {warning.message} [{warning.rule_id}]", file=sys.stderr)
    return asyncio.run(start_and_follow(input, settings, wait=args.wait, interval=args.interval, out=sys.stdout))
