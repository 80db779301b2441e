"""`tendlc start FILE...` for a fleet: many requests, validated together, started together.

Each FILE holds one request (`.json`) or one request per line (`.jsonl`; blank lines are skipped).
Every request is validated and pre-flight checked before any starts: one problem anywhere refuses
the whole batch, each problem as `FILE[:LINE]: field: message`. In the same spirit, what each
onboarding's earlier run recorded (a new run after a terminated one starts from it) is read for the
whole batch before any starts: when no worker can answer for one of them, nothing is started
(`RecordsUnreadable`, exit 5). Starts run concurrently (bounded,
so a thousand take seconds, not minutes, without flooding the frontend); an onboarding already
running or already completed is reported and left alone, so a re-run of the same batch starts
only what is missing. `--wait` follows them all in one progress view, read from visibility (the
`OnboardingStep` search attribute), one list call per hundred onboardings per refresh.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TextIO

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from intake.request import RequestError, UnreadableFile, read_request_lines
from runtime.settings import StarterSettings
from starter.start import (
    EXIT_ENDED,
    EXIT_NEEDS_ACTION,
    EXIT_OK,
    RecordUnreadable,
    Refused,
    earlier_record,
    prepare,
    prepare_data,
    start_workflow,
)
from workflows.contract import STEP, Step, workflow_id_for
from workflows.inputs import OnboardingInput
from workflows.memo import Recorded

# Concurrent starts: enough to start 1,000 in seconds, few enough not to trip the frontend's limits.
DEFAULT_CONCURRENCY = 32
# Workflow ids per visibility query while following a batch.
IDS_PER_QUERY = 100


class BatchRefused(Exception):
    """Nothing is started; `problems` lists every one, each as `FILE[:LINE]: field: message`."""

    def __init__(self, problems: list[str], *, unreadable: bool = False) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        # the one problem is a single file that is not JSON at all (binary, too large, ...)
        self.unreadable = unreadable


@dataclass
class Entry:
    """One request of the batch: where it came from (`FILE` or `FILE:LINE`) and its workflow input."""

    source: str
    input: OnboardingInput


def _problems(refused: Refused) -> list[str]:
    return [f"{refused.source}: {problem}" for problem in refused.problems]


def prepare_batch(paths: Sequence[str], settings: StarterSettings, accept: list[str] | None = None) -> list[Entry]:
    """Every request of every file as an `Entry`, or `BatchRefused` naming every problem. `accept`:
    pre-flight rules overridden for every request (`--accept`), beside each request's own."""
    entries: list[Entry] = []
    problems: list[str] = []
    unreadable = False
    for path in paths:
        if not path.endswith(".jsonl"):
            try:
                entries.append(Entry(path, prepare(path, settings, accept)))
            except Refused as refused:
                problems += _problems(refused)
                unreadable = unreadable or refused.unreadable
            continue
        try:
            rows = read_request_lines(path)
        except RequestError as exc:
            problems += [f"{exc.source}: {error}" for error in exc.errors]
            unreadable = unreadable or isinstance(exc, UnreadableFile)
            continue
        for source, data in rows:
            if isinstance(data, RequestError):
                problems += [f"{source}: {error}" for error in data.errors]
                continue
            try:
                entries.append(Entry(source, prepare_data(data, source, settings, accept)))
            except Refused as refused:
                problems += _problems(refused)
    problems += duplicate_ids(entries)
    if problems:
        raise BatchRefused(problems, unreadable=unreadable and len(problems) == 1)
    return entries


def duplicate_ids(entries: Sequence[Entry]) -> list[str]:
    """One problem per repeated onboarding_id, naming the first place it appears."""
    first: dict[str, str] = {}
    problems = []
    for entry in entries:
        seen = first.setdefault(entry.input.onboarding_id, entry.source)
        if seen != entry.source:
            problems.append(f"{entry.source}: onboarding_id: {entry.input.onboarding_id!r} is also the id at {seen}")
    return problems


class RecordsUnreadable(Exception):
    """Nothing is started: for each of `unreadable` no worker said what its earlier run recorded."""

    def __init__(self, unreadable: list[RecordUnreadable]) -> None:
        super().__init__("; ".join(str(u) for u in unreadable))
        self.unreadable = unreadable


@dataclass
class Started:
    """What the batch start did: ids started, ids left alone because already running or completed."""

    started: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)

    @property
    def onboarding_ids(self) -> list[str]:
        return self.started + self.running + self.completed


async def earlier_records(
    client: Client, entries: Sequence[Entry], *, concurrency: int = DEFAULT_CONCURRENCY
) -> dict[str, Recorded | None]:
    """Onboarding id -> what its latest earlier run recorded, for every entry, `concurrency` at a
    time; `RecordsUnreadable` naming each one no worker could answer for."""
    gate = asyncio.Semaphore(concurrency)

    async def one(entry: Entry) -> Recorded | None | RecordUnreadable:
        async with gate:
            try:
                return await earlier_record(client, workflow_id_for(entry.input.onboarding_id))
            except RecordUnreadable as exc:
                return exc

    found = await asyncio.gather(*(one(entry) for entry in entries))
    unreadable = [f for f in found if isinstance(f, RecordUnreadable)]
    if unreadable:
        raise RecordsUnreadable(unreadable)
    return {entry.input.onboarding_id: f for entry, f in zip(entries, found, strict=True)}  # type: ignore[misc]


async def start_batch(
    client: Client, entries: Sequence[Entry], *, task_queue: str, concurrency: int = DEFAULT_CONCURRENCY
) -> Started:
    """Start every entry not already running or completed, `concurrency` at a time, once what every
    earlier run recorded is known (`earlier_records`: else nothing starts)."""
    priors = await earlier_records(client, entries, concurrency=concurrency)
    gate = asyncio.Semaphore(concurrency)
    outcomes: dict[str, str] = {}

    async def one(entry: Entry) -> None:
        async with gate:
            try:
                prior = priors[entry.input.onboarding_id]
                await start_workflow(client, entry.input, task_queue=task_queue, prior=prior)
                outcomes[entry.input.onboarding_id] = "started"
            except WorkflowAlreadyStartedError:
                description = await client.get_workflow_handle(workflow_id_for(entry.input.onboarding_id)).describe()
                running = description.status == WorkflowExecutionStatus.RUNNING
                outcomes[entry.input.onboarding_id] = "running" if running else "completed"

    await asyncio.gather(*(one(entry) for entry in entries))
    result = Started()
    for entry in entries:  # in the batch's order
        getattr(result, outcomes[entry.input.onboarding_id]).append(entry.input.onboarding_id)
    return result


def print_started(started: Started, out: TextIO) -> None:
    print(f"started {len(started.started)} onboarding(s)", file=out)
    if started.running:
        print(f"already running, not started again: {len(started.running)}", file=out)
        for onboarding_id in started.running:
            print(f"  {onboarding_id}", file=out)
    if started.completed:
        print(f"already completed, not started again: {len(started.completed)}", file=out)
        for onboarding_id in started.completed:
            print(f"  {onboarding_id}", file=out)


# -- following a batch ------------------------------------------------------------------------------

SETTLED = {Step.DONE.value, Step.NEEDS_ACTION.value, Step.FAILED.value, Step.CANCELLED.value}


async def batch_steps(client: Client, onboarding_ids: Sequence[str]) -> dict[str, str]:
    """Onboarding id -> its step as visibility knows it; a run closed without a terminal step
    (terminated, timed out) counts as FAILED."""
    steps: dict[str, str] = {}
    for i in range(0, len(onboarding_ids), IDS_PER_QUERY):
        chunk = onboarding_ids[i : i + IDS_PER_QUERY]
        ids = ", ".join(f"'{workflow_id_for(o)}'" for o in chunk)
        query = f"WorkflowId IN ({ids})"
        async for execution in client.list_workflows(query, rpc_timeout=timedelta(seconds=60)):
            step = execution.typed_search_attributes.get(STEP) or Step.BUY_NUMBER.value
            closed = execution.status not in (None, WorkflowExecutionStatus.RUNNING)
            if closed and step not in SETTLED:
                step = Step.FAILED.value
            # a re-started onboarding: the running execution is the one that counts
            onboarding_id = execution.id.removeprefix(workflow_id_for(""))
            if onboarding_id not in steps or not closed:
                steps[onboarding_id] = step
    return steps


def progress_line(steps: dict[str, str], total: int) -> str:
    counts = Counter(steps.values())
    settled = sum(n for step, n in counts.items() if step in SETTLED)
    order = [s.value for s in Step]
    parts = "  ".join(f"{step} {counts[step]}" for step in order if counts[step])
    now = datetime.now(UTC).strftime("%H:%M:%S")
    return f"{now}  {settled}/{total} settled  {parts}".rstrip()


def batch_exit_code(steps: dict[str, str]) -> int:
    """0 when every onboarding is DONE, 4 when any needs a person, else 1 (one ended otherwise)."""
    values = set(steps.values())
    if Step.NEEDS_ACTION.value in values:
        return EXIT_NEEDS_ACTION
    if values <= {Step.DONE.value}:
        return EXIT_OK
    return EXIT_ENDED


async def follow_batch(client: Client, onboarding_ids: Sequence[str], *, interval: float, out: TextIO) -> int:
    """One progress line whenever the counts per step change, until each onboarding is DONE,
    NEEDS_ACTION or ended; then the ones that are not DONE, each by id."""
    last = ""
    while True:
        try:
            steps = await batch_steps(client, onboarding_ids)
        except RPCError as exc:  # a busy server: say so, and ask again at the next interval
            print(f"visibility did not answer ({exc}); asking again", file=out, flush=True)
            await asyncio.sleep(interval)
            continue
        line = progress_line(steps, len(onboarding_ids))
        if line.split("  ", 1)[1] != last:
            last = line.split("  ", 1)[1]
            print(line, file=out, flush=True)
        if len(steps) == len(onboarding_ids) and set(steps.values()) <= SETTLED:
            break
        await asyncio.sleep(interval)
    for onboarding_id in onboarding_ids:
        if steps[onboarding_id] != Step.DONE.value:
            print(f"{steps[onboarding_id]}: {onboarding_id} (see `tendlc status {onboarding_id}`)", file=out)
    return batch_exit_code(steps)
