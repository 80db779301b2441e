"""The floor of the throughput figure: a workflow of the onboarding's shape with nothing in it.

Same number of activities, approval waits (a signal raced with a timer, as `workflows.waits` does)
and signals as an onboarding at zero sandbox delays: ten activities, and after each of the three
registry creates two events (the object announced, then decided) and the one GET that confirms a
decision an event announced before the billable step it unlocks (workflows/waits.py). The
activities do nothing; a
create's events are signalled by the worker right after the activity returns, standing for Bird's
webhooks arriving through the relay. What the real onboarding costs beyond this is ours.

With `claim` and `upserts`, the bare workflow also does what an onboarding does for the world to see
and for other onboardings: a stock-item claim (activities/claims.py, a `StockItemClaim` workflow)
started by its first activity, and the step it is on as a search attribute before each activity
(`OnboardingStep`, one upsert per step, as the onboarding's task that schedules it makes). Those runs
split the difference between the floor and the onboarding into what each costs and what the rest
does (bench/NOTES.md).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.claims import TemporalStockClaims
    from workflows.contract import STEP
    from workflows.options import BIRD_CALL

# (activity the onboarding runs, events Bird sends about what it created), in the onboarding's order
SHAPE: tuple[tuple[str, int], ...] = (
    ("choose_number", 0),
    ("buy_number", 0),
    ("create_brand", 2),
    ("get_brand", 0),
    ("create_vetting", 2),
    ("get_vetting", 0),
    ("create_campaign", 2),
    ("get_campaign", 0),
    ("install_connector", 0),
    ("get_connector", 0),
)
BARE_TASK_QUEUE = "bench-bare"


class BareInput(BaseModel):
    name: str
    wait_seconds: float = 60.0  # the onboarding's first fallback poll (TENDLC_POLL_MIN_SECONDS)
    # Timers each wait starts, as the onboarding's histories show (a poll timer; a deadline timer
    # too where the onboarding has deadlines), so the floor keeps the onboarding's shape as it grows.
    timers_per_wait: int = 1
    deadline_seconds: float = 30 * 86400.0
    claim: bool = False  # the first activity claims a stock item, as `choose_number` does
    upserts: bool = False  # the step upserted before each activity, as the onboarding's tasks do


class StepInput(BaseModel):
    step: str
    events: int = 0
    claim: bool = False


class BareEvent(BaseModel):
    step: str
    number: int


# Signals in flight after their activity returned; held so the tasks are not collected early.
_in_flight: set[asyncio.Task[None]] = set()


async def _send_events(handle, step: str, count: int) -> None:
    for number in range(count):
        await handle.signal(BareWorkflow.event, BareEvent(step=step, number=number))


@activity.defn
async def bare_step(req: StepInput) -> None:
    """Nothing, except that a create's events are sent once it has returned, as Bird's would be, and
    that a recording workflow's first step claims a stock item of its own, as `choose_number` does."""
    workflow_id = activity.info().workflow_id
    if workflow_id is None:
        raise RuntimeError("bare_step acts for its workflow: it runs only inside one")
    if req.claim:
        await TemporalStockClaims(activity.client(), BARE_TASK_QUEUE).claim(f"bare-{workflow_id}", workflow_id)
    if req.events:
        handle = activity.client().get_workflow_handle(workflow_id)
        task = asyncio.get_running_loop().create_task(_send_events(handle, req.step, req.events))
        _in_flight.add(task)
        task.add_done_callback(_in_flight.discard)


@workflow.defn
class BareWorkflow:
    def __init__(self) -> None:
        self._events = 0

    @workflow.run
    async def run(self, input: BareInput) -> int:
        expected = 0
        for i, (step, events) in enumerate(SHAPE):
            wait = None
            if input.upserts:
                workflow.upsert_search_attributes([STEP.value_set(step)])
            if events:
                expected += events
                # The wait (and its timer) starts with the activity, so that it is always running when
                # the events come, as the onboarding's is when the relay's signals come: one timer
                # started and cancelled per wait, whatever the timing.
                wait = asyncio.ensure_future(
                    self._events_reach(expected, input.wait_seconds, input.timers_per_wait - 1, input.deadline_seconds)
                )
            claim = input.claim and i == 0
            await workflow.execute_activity(bare_step, StepInput(step=step, events=events, claim=claim), **BIRD_CALL)
            if wait is not None and not await wait:
                raise ApplicationError(f"{step}: its events did not arrive", non_retryable=True)
        return self._events

    async def _events_reach(self, count: int, seconds: float, more_timers: int, deadline: float) -> bool:
        others = [asyncio.ensure_future(workflow.sleep(deadline)) for _ in range(more_timers)]
        try:
            await workflow.wait_condition(lambda: self._events >= count, timeout=timedelta(seconds=seconds))
        except TimeoutError:
            return False
        finally:
            for timer in others:
                timer.cancel()
        return True

    @workflow.signal
    def event(self, event: BareEvent) -> None:
        self._events += 1
