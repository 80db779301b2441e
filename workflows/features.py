"""Which of the workflow's behaviour changes an onboarding runs with: every `workflow.patched` name
in one table, and the generation of the code that started the onboarding.

A patch marker is two history events (a marker and Temporal's `TemporalChangeVersion` upsert) per
patch per run. An onboarding started by today's starter needs none: `tendlc start` writes
`GENERATION` into `OnboardingInput.generation`, and every behaviour that generation already had
applies without a marker (`uses`). An onboarding started by older code (generation 0, or an older
generation) asks `workflow.patched` exactly as before, so its history replays and it keeps its path.

Adding the next behaviour change: name it here, `SINCE[NAME] = GENERATION + 1`, bump `GENERATION`,
guard the change with `uses(state.generation, NAME)`, and record a history of both a new run and one
started with the previous generation (tests/histories/README.md).

A change that something outside the workflow depends on seeing whole (what a run writes for the
starter to read) is decided by the generation alone (`since`, listed in `GENERATION_ONLY`): an older
run taking it up halfway, as `workflow.patched` would on its first new workflow task, would leave
half of it behind.
"""

from __future__ import annotations

from temporalio import workflow

# Each wait has a deadline, after which a person is asked (workflows/waits.py).
DEADLINES_PATCH = "wait-deadlines"
# Bird's GET is the truth about the present; an approval only an event announced is confirmed by one
# GET before the billable step it unlocks (workflows/waits.py, workflows/state.py `Tracked.observe`).
GETS_WIN_PATCH = "bird-get-wins"
# Onboardings sharing a workspace: ownership of creates, sold stock items, the memo (workflows/steps.py).
FLEET_PATCH = "fleet-ownership"
# Bird activities on their own, rate-limited task queue (workflows/options.py).
BIRD_QUEUE_PATCH = "fleet-bird-task-queue"
# Notifications, Temporal's cancellation ending like `cancel`, poll rounds ending at the deadline
# (workflows/notify.py).
OPERATOR_PATCH = "operator-visibility"
# Fewer commands per workflow task: one search-attribute upsert per task, looks without a heartbeat
# timeout, one timer at a time in a wait (workflows/recording.py).
FEWER_COMMANDS_PATCH = "perf-fewer-commands"

# The memo is written at most once per workflow task, with everything that changed in it (the task
# that records a create's id usually also schedules the next create) (workflows/steps.py).
MEMO_PER_TASK_PATCH = "memo-once-per-task"

# The connector's id is not written to the memo when its install returns: a new run finds it by
# listing, as a retried install does (workflows/memo.py says why that is exact).
CONNECTOR_LISTED_PATCH = "memo-connector-listed"

# The run's last notification (DONE, CANCELLED) is tried first as one local activity: when the
# receiver answers at once, or none is configured, no activity task and no workflow task more are
# needed to close the run; the durable activity takes over only if that attempt fails
# (workflows/notify.py).
NOTIFY_AT_END_PATCH = "notify-local-at-end"

# No `recorded` memo, neither per task nor on continue-as-new: a new run after terminate reads what
# the earlier run recorded by the `recorded` query instead (workflows/memo.py). Decided by the
# generation alone (`since`), never by a marker: the memo is read from outside the workflow, so a
# run must not stop writing it halfway (a starter would trust the stale memo).
RECORD_BY_QUERY_PATCH = "recorded-by-query"

# The generation today's starter writes into `OnboardingInput.generation`.
GENERATION = 4

# patch -> the first generation that has it from its start (no marker needed).
SINCE: dict[str, int] = {
    DEADLINES_PATCH: 1,
    GETS_WIN_PATCH: 1,
    FLEET_PATCH: 1,
    BIRD_QUEUE_PATCH: 1,
    OPERATOR_PATCH: 1,
    FEWER_COMMANDS_PATCH: 1,
    MEMO_PER_TASK_PATCH: 2,
    CONNECTOR_LISTED_PATCH: 3,
    NOTIFY_AT_END_PATCH: 4,
    RECORD_BY_QUERY_PATCH: 4,
}

# The changes decided by the generation alone: runs of older generations keep their path to the
# end, whatever code runs them; `workflow.patched` is never asked, so they write no marker.
GENERATION_ONLY = frozenset({RECORD_BY_QUERY_PATCH})


def uses(generation: int, patch: str) -> bool:
    """Whether this onboarding (started with `generation`) takes the behaviour `patch` guards.

    From the generation that introduced it: always, and nothing is written to history. Before it:
    whatever `workflow.patched(patch)` says (True on first execution, and on replay exactly when the
    history holds the marker), as it did before generations existed."""
    if patch in GENERATION_ONLY:
        raise ValueError(f"{patch} is decided by the generation alone: ask `since`")
    if generation >= SINCE[patch]:
        return True
    return workflow.patched(patch)


def since(generation: int, patch: str) -> bool:
    """Whether this onboarding (started with `generation`) takes the behaviour `patch` guards, for a
    change in `GENERATION_ONLY`: from the generation that introduced it, and never before it, not
    even on first execution."""
    return generation >= SINCE[patch]
