"""Activity options, in one table: timeouts and retry policies for every kind of Bird call."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import Priority, RetryPolicy
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from workflows.features import BIRD_QUEUE_PATCH, uses

# Transient failures (network, 5xx, 429) retry without limit: an onboarding waits out an outage
# rather than failing. What Bird refused (`BirdRejected`) or our own schema check refused
# (`InvalidRequest`) is non-retryable (activities.errors), and lands the onboarding in NEEDS_ACTION.

# Activities heartbeat while they run (activities.base), so a worker that dies mid-call is noticed
# after this long instead of after the whole start-to-close timeout.
HEARTBEAT = timedelta(seconds=10)

_TRANSIENT = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,  # unlimited: a Bird outage delays the onboarding, it does not fail it
)



# On the paced Bird queue, the call that starts an onboarding's purchase (choosing a stock item)
# waits behind every call of onboardings already under way (Temporal's task priority: lower goes
# first, 3 is the default). A fleet then moves customers through one after another instead of all
# of them through each step at once, and a chosen stock item is bought before the next onboarding
# chooses: a chosen item holds a place on the stock's first page until it is sold.
STARTING = Priority(priority_key=5)


def on_bird_queue(
    config: workflow.ActivityConfig, bird_task_queue: str | None, generation: int, *, starting: bool = False
) -> workflow.ActivityConfig:
    """`config` on the Bird activities' task queue, whose rate limit paces all workers together;
    unchanged (the workflow's own queue) for an input that names none. Onboardings whose input names
    a Bird task queue schedule their activities there behind BIRD_QUEUE_PATCH (`generation`: the
    onboarding's, workflows/features.py). `starting`: the call starts new work (see STARTING)."""
    if bird_task_queue is None or not uses(generation, BIRD_QUEUE_PATCH):
        return config
    return {**config, "task_queue": bird_task_queue, **({"priority": STARTING} if starting else {})}


# A single GET (or two, for the connector).
BIRD_CALL = workflow.ActivityConfig(
    start_to_close_timeout=timedelta(seconds=90),
    heartbeat_timeout=HEARTBEAT,
    retry_policy=_TRANSIENT,
)

# One look at an object (a GET, two for the connector): over in well under a second, so no
# heartbeat timeout; a dead worker is noticed by the start-to-close timeout (since the
# "perf-fewer-commands" patch, workflows/recording.py; BIRD_CALL before it).
BIRD_GET = workflow.ActivityConfig(
    start_to_close_timeout=timedelta(seconds=30),
    retry_policy=_TRANSIENT,
)

# A billable create: list-and-match over every page of what exists, then at most one POST.
BIRD_CREATE = workflow.ActivityConfig(
    start_to_close_timeout=timedelta(minutes=5),
    heartbeat_timeout=HEARTBEAT,
    retry_policy=_TRANSIENT,
)

# One round of fallback polls is one activity whose retries do the exponential backoff: retries
# add no history events, so a round of this many polls costs the same few events as a single one.
POLLS_PER_ROUND = 10


def poll_interval(min_seconds: float, max_seconds: float, polls_done: int) -> timedelta:
    """The gap before poll number `polls_done + 1`: min, 2·min, 4·min, … capped at max."""
    seconds = min_seconds * 2.0 ** min(polls_done, 64)
    return timedelta(seconds=max(min_seconds, min(seconds, max_seconds)))


def bird_poll(min_seconds: float, max_seconds: float, polls_done: int) -> workflow.ActivityConfig:
    """A round of up to `POLLS_PER_ROUND` polls continuing the backoff after `polls_done` polls.

    The round's first poll runs as soon as it is scheduled (the workflow's timer has already waited);
    its retries then wait the following intervals of the same exponential series.
    """
    return workflow.ActivityConfig(
        start_to_close_timeout=timedelta(seconds=90),
        heartbeat_timeout=HEARTBEAT,
        # When an event settles the wait first, the round is abandoned rather than cancelled: a
        # cancel request races the round's own next attempt (which, the object being decided, then
        # succeeds), and nothing is gained by waiting for the server to confirm. An abandoned
        # round ends by itself at its next attempt.
        cancellation_type=ActivityCancellationType.ABANDON,
        retry_policy=RetryPolicy(
            initial_interval=poll_interval(min_seconds, max_seconds, polls_done + 1),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=max(min_seconds, max_seconds)),
            maximum_attempts=POLLS_PER_ROUND,
        ),
    )
