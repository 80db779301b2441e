"""`tendlc start FILE... [--wait]` (and `python -m starter FILE...`): validate requests, start their
onboardings. One request is followed step by step; a batch (`.jsonl` files, several files) is
validated as a whole and followed in one progress view (starter/batch.py).

Nothing reaches Temporal (let alone Bird, where creates cost money) until the whole request is known
to be usable: schema errors, missing workspace/organization and pre-flight errors are all listed at
once and refuse the start with exit code 2.

Exit codes: 0 started (with --wait: all DONE), 1 one ended FAILED or CANCELLED, 2 request refused
(a batch: any request; nothing started), 3 nothing started because every onboarding is already open
(or already completed), 4 NEEDS_ACTION (a batch: any), 5 Temporal not reachable, or no worker
answered for what an onboarding's earlier run recorded (a batch: any; nothing started).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta
from typing import Any, TextIO

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowQueryFailedError
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from intake.files import FileProblem, read_json
from intake.inputs import onboarding_input
from intake.preflight import UnknownRules, accepted_rules, check_request
from intake.request import OnboardingRequest, RequestError, UnreadableFile, load_request, parse_request
from intake.summary import start_details, start_summary
from runtime.connection import connect
from runtime.settings import StarterSettings
from starter.status import DEFAULT_QUERY_TIMEOUT
from workflows.contract import ONBOARDING_ID, STEP, Step, bird_task_queue_for, workflow_id_for
from workflows.features import GENERATION
from workflows.inputs import OnboardingInput
from workflows.memo import MEMO_KEY, Recorded
from workflows.onboarding import OnboardingWorkflow
from workflows.state import OnboardingStatus, PreflightWarning

EXIT_OK, EXIT_ENDED, EXIT_REFUSED, EXIT_ALREADY_OPEN, EXIT_NEEDS_ACTION, EXIT_UNAVAILABLE = 0, 1, 2, 3, 4, 5


class Refused(Exception):
    """The request cannot be started; `problems` lists every reason, each naming its field."""

    def __init__(self, source: str, problems: list[str], *, unreadable: bool = False) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems
        # not JSON at all (binary, too large, ...): said in one line
        self.unreadable = unreadable


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="onboarding requests: FILE.json (one request) or FILE.jsonl (one per line), e.g. examples/onboarding.json",
    )
    parser.add_argument("--wait", action="store_true", help="follow until each is DONE or NEEDS_ACTION; exit 0 if all DONE")
    parser.add_argument("--interval", type=float, default=1.0, help="with --wait: seconds between status checks")
    parser.add_argument(
        "--accept",
        action="append",
        default=[],
        metavar="RULE",
        help="override this pre-flight rule (e.g. CAMPAIGN_PLACEHOLDER_TEXT; repeatable, added to the request's "
        "`accept`): its findings no longer refuse the start and are kept in the status as accepted",
    )
    parser.add_argument(
        "--concurrency", type=int, default=32, help="a batch: how many starts in flight at once (default 32)"
    )


def preflight(request: OnboardingRequest, accept: frozenset[str] = frozenset()) -> tuple[list[str], list[PreflightWarning]]:
    """Pre-flight findings as (errors, warnings): errors refuse the start, warnings are recorded;
    an error whose rule the operator accepted is recorded too, marked accepted."""
    errors: list[str] = []
    warnings: list[PreflightWarning] = []
    for finding in check_request(request, accept):
        if finding.severity == "error" and not finding.accepted:
            errors.append(f"{finding.field}: {finding.message} [{finding.rule_id}]")
        else:
            warnings.append(PreflightWarning(rule_id=finding.rule_id, field=finding.field, message=finding.message,
                                             accepted=finding.accepted))  # fmt: skip
    return errors, warnings


def _raw_ids(path: str) -> dict[str, Any]:
    try:
        data = read_json(path)
    except FileProblem:
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


def prepare(path: str, settings: StarterSettings, accept: list[str] | None = None) -> OnboardingInput:
    """The workflow input for a request file, or `Refused` with every problem found."""
    try:
        request = load_request(path)
    except UnreadableFile as exc:
        raise Refused(exc.source, exc.errors, unreadable=True) from None
    except RequestError as exc:
        raise Refused(exc.source, exc.errors + _settings_problems(_raw_ids(path), settings)) from None
    return prepare_request(request, path, settings, accept)


def prepare_data(data: Any, source: str, settings: StarterSettings, accept: list[str] | None = None) -> OnboardingInput:
    """As `prepare`, for a request already read (one line of a `.jsonl` batch)."""
    try:
        request = parse_request(data, source)
    except RequestError as exc:
        raw = data if isinstance(data, dict) else {}
        raise Refused(source, exc.errors + _settings_problems(raw, settings)) from None
    return prepare_request(request, source, settings, accept)


def prepare_request(
    request: OnboardingRequest, source: str, settings: StarterSettings, accept: list[str] | None = None
) -> OnboardingInput:
    problems = _settings_problems(request.model_dump(include={"workspace_id", "organization_id"}), settings)
    try:
        accepted = accepted_rules([*request.accept, *(accept or [])])
    except UnknownRules as exc:
        raise Refused(source, [f"accept: {exc}", *problems]) from None
    errors, warnings = preflight(request, accepted)
    problems += errors
    if problems:
        raise Refused(source, problems)
    workspace_id = request.workspace_id or settings.bird_workspace_id
    organization_id = request.organization_id or settings.bird_organization_id
    return onboarding_input(
        request,
        workspace_id=workspace_id or "",
        organization_id=organization_id or "",
        poll=settings.poll(),
        warnings=warnings,
    )


# The ends after which the same onboarding id may start again (ALLOW_DUPLICATE_FAILED_ONLY).
RESTARTABLE = frozenset(
    {
        WorkflowExecutionStatus.FAILED,
        WorkflowExecutionStatus.TERMINATED,
        WorkflowExecutionStatus.TIMED_OUT,
        WorkflowExecutionStatus.CANCELED,
    }
)


class RecordUnreadable(Exception):
    """The latest earlier run of an onboarding ended unfinished and left no memo, and no worker
    answered the `recorded` query for it: starting anyway could buy everything a second time."""

    def __init__(self, onboarding_id: str, run_id: str, status: str, why: str) -> None:
        super().__init__(
            f"{onboarding_id}: not started: its earlier run {run_id} ended {status}, and a worker must be "
            f"running to read what that run recorded ({why}); start `tendlc worker` and run this again"
        )
        self.onboarding_id = onboarding_id


async def earlier_record(
    client: Client, workflow_id: str, *, query_timeout: float = DEFAULT_QUERY_TIMEOUT
) -> Recorded | None:
    """What the latest earlier run of this onboarding recorded (workflows/memo.py), if it ended
    without finishing: the new run adopts it rather than buying everything again.

    A run of generation 3 or older keeps it in its memo. A newer one writes no memo; its `recorded`
    query answers, on a closed run too (Temporal replays the run's history on a worker). When no
    worker answers within `query_timeout` seconds: `RecordUnreadable`."""
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    if description.status not in RESTARTABLE:
        return None
    value = await description.memo_value(MEMO_KEY, None)
    if value:
        return Recorded.model_validate(value)
    run = client.get_workflow_handle(workflow_id, run_id=description.run_id)
    try:
        recorded = await run.query(OnboardingWorkflow.recorded, rpc_timeout=timedelta(seconds=query_timeout))
    except (RPCError, WorkflowQueryFailedError) as exc:
        started_with = await _input_if_never_ran(client, run)
        if started_with is not None:
            return _record_of_input(started_with)
        onboarding_id = workflow_id.removeprefix(workflow_id_for(""))
        ended = description.status.name if description.status else "UNKNOWN"
        raise RecordUnreadable(onboarding_id, description.run_id, ended, _why(exc, query_timeout)) from None
    return None if recorded.empty() else recorded


async def _input_if_never_ran(client: Client, run: WorkflowHandle) -> OnboardingInput | None:
    """The input of a run that closed before completing a workflow task, else None. Such a run
    issued no command, so it holds exactly what it was started with; Temporal refuses a query on
    it, worker or not."""
    started_with: OnboardingInput | None = None
    async for event in run.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            return None
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            [started_with] = await client.data_converter.decode(payloads, [OnboardingInput])
    return started_with


def _record_of_input(input: OnboardingInput) -> Recorded | None:
    """What a run that never ran passes on: the state a continue-as-new handed it (everything the
    runs before it recorded), or the record it was itself started from, or nothing."""
    if input.state is not None:
        recorded = Recorded.for_new_run(input.state)
        return None if recorded.empty() else recorded
    return input.prior


def _why(exc: Exception, query_timeout: float) -> str:
    if isinstance(exc, WorkflowQueryFailedError):  # e.g. a worker older than the query
        return f"the worker could not answer the `recorded` query: {exc}"
    if isinstance(exc, RPCError) and exc.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
        return f"Temporal refused the `recorded` query: {exc.message}"
    return f"no worker answered the `recorded` query within {query_timeout:g}s"


async def start_workflow(
    client: Client, input: OnboardingInput, *, task_queue: str, prior: Recorded | None = None
) -> WorkflowHandle:
    """Start the onboarding's workflow; `WorkflowAlreadyStartedError` while one with the same id is
    open, or after one completed (a second run would buy a second number). `prior`: what an earlier,
    unfinished run of the same id recorded (`earlier_record`), adopted by this run."""
    # Bird activities go to the workflow queue's Bird queue, paced by its rate limit (worker/main.py)
    # and the onboarding takes today's behaviours without patch markers (workflows/features.py)
    input = input.model_copy(
        update={"bird_task_queue": bird_task_queue_for(task_queue), "prior": prior, "generation": GENERATION}
    )
    return await client.start_workflow(
        OnboardingWorkflow.run,
        input,
        id=workflow_id_for(input.onboarding_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        # A completed onboarding is not started again; one that failed or was terminated may be.
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        # kept by Temporal beside the search attributes: `tendlc status` shows them when no worker answers
        memo={"warnings": [w.model_dump(mode="json") for w in input.warnings]},
        # the Temporal UI's summary and details of the run (what it is for), beside the live current details
        static_summary=start_summary(input),
        static_details=start_details(input),
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(ONBOARDING_ID, input.onboarding_id),
                SearchAttributePair(STEP, Step.BUY_NUMBER.value),
            ]
        ),
    )


async def start(
    client: Client, input: OnboardingInput, *, task_queue: str, out: TextIO
) -> tuple[int, WorkflowHandle | None]:
    """Start the onboarding; refuse (exit 3) while one with the same id is open or after one completed.
    A new run after a terminated or failed one starts from what that run recorded (`prior`); when
    no worker can say what that was, nothing starts (exit 5)."""
    workflow_id = workflow_id_for(input.onboarding_id)
    try:
        prior = await earlier_record(client, workflow_id)
    except RecordUnreadable as exc:
        print(exc, file=out)
        return EXIT_UNAVAILABLE, None
    if prior is not None:
        held = ", ".join(f"{kind} {object_id}" for kind, object_id in prior.ids.items()) or "nothing created yet"
        print(f"an earlier run of {workflow_id} ended unfinished; this run starts from what it recorded: {held}", file=out)
    try:
        handle = await start_workflow(client, input, task_queue=task_queue, prior=prior)
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
    from starter import batch  # imported here: starter/batch.py builds on this module

    settings = StarterSettings()
    try:
        entries = batch.prepare_batch(args.files, settings, getattr(args, "accept", None))
    except batch.BatchRefused as refused:
        if refused.unreadable:  # not JSON at all (binary, too large, ...): one line says it
            print(f"{refused.problems[0]}: not started", file=sys.stderr)
            return EXIT_REFUSED
        print(f"not started: {len(refused.problems)} problem(s); nothing was started", file=sys.stderr)
        for problem in refused.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_REFUSED
    add_workspace_warnings(entries, settings)
    for entry in entries:
        for warning in entry.input.warnings:
            where = f"{entry.source}: " if len(entries) > 1 else ""
            label = "accepted" if warning.accepted else "warning"
            print(f"{label}: {where}{warning.field}: {warning.message} [{warning.rule_id}]", file=sys.stderr)
    if len(entries) == 1 and not args.files[0].endswith(".jsonl"):
        return asyncio.run(
            start_and_follow(entries[0].input, settings, wait=args.wait, interval=args.interval, out=sys.stdout)
        )
    return asyncio.run(start_and_follow_batch(entries, settings, args, out=sys.stdout))


def add_workspace_warnings(entries: list, settings: StarterSettings) -> None:
    """With BIRD_ACCESS_KEY set, what Bird says about stock and reusable objects joins each
    request's warnings (printed, and recorded in the onboarding's status)."""
    if settings.bird_access_key is None or not settings.bird_access_key.get_secret_value():
        return
    from starter.workspace_checks import workspace_warnings

    async def ask() -> list:
        async with settings.bird_client() as bird:
            return await workspace_warnings(bird, [(e.source, e.input) for e in entries], reuse=True)

    by_source = {e.source: e for e in entries}
    for w in asyncio.run(ask()):
        warning = PreflightWarning(rule_id=w.rule_id, field=w.field, message=w.message)
        by_source[w.source].input.warnings.append(warning)


async def start_and_follow_batch(entries: list, settings: StarterSettings, args: argparse.Namespace, *, out: TextIO) -> int:
    from starter import batch  # see run()

    try:
        client = await connect(settings)
    except RuntimeError as exc:
        print(f"cannot reach Temporal at {settings.temporal_address}: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    try:
        started = await batch.start_batch(
            client, entries, task_queue=settings.tendlc_task_queue, concurrency=max(1, args.concurrency)
        )
    except batch.RecordsUnreadable as exc:
        print(f"not started: {len(exc.unreadable)} onboarding(s) with an earlier run no worker could answer for; "
              "nothing was started", file=sys.stderr)  # fmt: skip
        for unreadable in exc.unreadable:
            print(f"  {unreadable}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    batch.print_started(started, out)
    if args.wait:
        return await batch.follow_batch(client, started.onboarding_ids, interval=args.interval, out=out)
    return EXIT_ALREADY_OPEN if not started.started else EXIT_OK
