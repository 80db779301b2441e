"""Awaiting a verdict Bird gives on its own time (an approval, carriers linking a number), the same
way for every kind of object: an event or a fallback poll ends it, a deadline bounds it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, TimeoutError as ActivityTimeout

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.errors import NOT_YET
    from workflows.blocking import NeedsAction
    from workflows.contract import Step
    from workflows.failures import failure_of
    from workflows.features import DEADLINES_PATCH, FEWER_COMMANDS_PATCH, OPERATOR_PATCH, uses
    from workflows.inputs import OnboardingInput, PollSettings
    from workflows.kinds import Kind, wait_for
    from workflows.options import BIRD_CALL, BIRD_GET, POLLS_PER_ROUND, bird_poll, on_bird_queue, poll_interval
    from workflows.recording import Recorder
    from workflows.state import Blocker, OnboardingState, Waiting

# Webhook first: the `bird_event` signal records what it says and the waiting condition wakes.
# Polling covers lost webhooks: after each gap of the exponential series a round of polls runs as one
# activity whose retry policy does the backoff (no history per retry), raced with the signal and
# abandoned if the signal wins. Between rounds the run may continue as new; the durable part of a
# wait (`Waiting`: since when, how many polls, its deadline) lives in the onboarding state.
#
# Each wait gets its deadline when it begins (the request's `deadlines`; defaults in
# workflows/kinds.py). When it passes, the onboarding takes one last look (the decision may have
# been made and its event lost since the last poll); still undecided, it stops in NEEDS_ACTION
# saying which wait ran out, and a person extends the wait (`extend_deadline`) or cancels.
# Deadlines came after onboardings were already running, so they apply behind DEADLINES_PATCH:
# histories recorded before it replay unchanged, with no deadline.
#
# Bird's GET is the truth about the present (workflows/state.py, `Tracked.observe`): an approval only
# an event announced is confirmed by one GET before the billable step it unlocks, so that a wrong
# or premature event cannot buy anything. Onboardings started before GETS_WIN_PATCH replay without it.


@dataclass
class Watch:
    """One wait: when it is over, how to poll, and how to record what a poll saw."""

    what: str
    settled: Callable[[], bool]
    poll: Callable[..., Any]  # an activity method raising NotYet until the object is decided
    arg: BaseModel
    record: Callable[[Any], None]  # a poll's answer (the activity's result model)
    record_last_seen: Callable[[dict[str, Any]], None]  # what a round that ended undecided last saw


class Waiter:
    """Runs waits for one workflow run, counting the polls it makes so the run stays small."""

    def __init__(
        self,
        settings: PollSettings,
        checkpoint_due: Callable[[], bool],
        checkpoint: Callable[[], Awaitable[None]],
        show: Callable[[], None] = lambda: None,
    ) -> None:
        self._settings = settings
        self._checkpoint_due = checkpoint_due
        self._checkpoint = checkpoint  # continues as new; does not return when it does
        self._show = show  # refreshes what the Temporal UI shows (next poll, last seen)
        self.polls_this_run = 0
        self.bird_task_queue: str | None = None  # where Bird activities run (workflows/options.py)
        self.generation = 0  # the onboarding's code generation (workflows/features.py)

    async def until_settled(self, watch: Watch, waiting: Waiting) -> None:
        """Return once `watch.settled()`, whether an event or a poll said so."""
        while not watch.settled():
            if self._checkpoint_due():
                await self._checkpoint()
            delay = poll_interval(self._settings.min_seconds, self._settings.max_seconds, waiting.polls)
            waiting.next_poll_at = workflow.now() + delay
            self._show()
            try:
                await workflow.wait_condition(
                    lambda: watch.settled() or self._checkpoint_due(),
                    timeout=delay,
                    timeout_summary=f"{watch.what}: next poll",
                )
                continue  # settled by an event, or time to continue as new: the loop decides
            except TimeoutError:
                pass
            await self._poll_round(watch, waiting)

    async def until_settled_or_due(self, watch: Watch, waiting: Waiting, days: float) -> bool:
        """Wait as `until_settled` does, but no later than the wait's deadline (`days` after it
        began, unless it already has one). True once settled; False when the deadline came first."""
        if not uses(self.generation, DEADLINES_PATCH):
            await self.until_settled(watch, waiting)
            return True
        if waiting.deadline_at is None:
            waiting.deadline_at = waiting.since + timedelta(days=days)
        remaining = waiting.deadline_at - workflow.now()
        if remaining <= timedelta(0):
            return watch.settled()
        if uses(self.generation, FEWER_COMMANDS_PATCH):
            return await self._until_settled_by(watch, waiting, waiting.deadline_at)
        wait = asyncio.create_task(self.until_settled(watch, waiting))
        due = asyncio.create_task(workflow.sleep(remaining, summary=f"{watch.what}: deadline"))
        try:
            await workflow.wait([wait, due], return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Whichever is still pending goes: the wait when its deadline came, the timer when the
            # wait ended, both when this step is itself being cancelled.
            for task in (wait, due):
                if not task.done():
                    task.cancel()
        if wait.done() and not wait.cancelled():
            wait.result()  # re-raises what ended the wait early: continue-as-new, or a failure
            return True
        await workflow.wait([wait])  # let the abandoned wait unwind before the step goes on
        return watch.settled()

    async def _until_settled_by(self, watch: Watch, waiting: Waiting, deadline: datetime) -> bool:
        """`until_settled` with the deadline folded in, one timer at a time: the gap before a poll
        ends at the deadline at the latest, and a poll round may run until the deadline and no
        longer (its schedule-to-close timeout), so no deadline timer runs beside them. True once
        settled; False when the deadline came first."""
        while not watch.settled():
            if self._checkpoint_due():
                await self._checkpoint()
            remaining = deadline - workflow.now()
            if remaining <= timedelta(0):
                return watch.settled()
            delay = poll_interval(self._settings.min_seconds, self._settings.max_seconds, waiting.polls)
            waiting.next_poll_at = workflow.now() + min(delay, remaining)
            try:
                await workflow.wait_condition(
                    lambda: watch.settled() or self._checkpoint_due(),
                    timeout=min(delay, remaining),
                    timeout_summary=f"{watch.what}: next poll" if delay < remaining else f"{watch.what}: deadline",
                )
                continue  # settled by an event, or time to continue as new: the loop decides
            except TimeoutError:
                pass
            if workflow.now() < deadline:
                await self._poll_round(watch, waiting, until=deadline)
        return True

    async def _poll_round(self, watch: Watch, waiting: Waiting, until: datetime | None = None) -> None:
        s = self._settings
        options = bird_poll(s.min_seconds, s.max_seconds, waiting.polls)
        if until is not None:
            # The round may run until the wait's deadline and no longer (`_until_settled_by`).
            options["schedule_to_close_timeout"] = until - workflow.now()
        elif uses(self.generation, OPERATOR_PATCH) and waiting.deadline_at is not None:
            # The round ends on the server when the wait's deadline comes: no retry is scheduled
            # after it, and an attempt in flight learns it at its next heartbeat and stops. (The
            # round is abandoned, not cancelled, when the wait ends: without this it would go on
            # calling Bird for up to POLLS_PER_ROUND polls after the onboarding stopped waiting.)
            remaining = waiting.deadline_at - workflow.now()
            if remaining > timedelta(0):
                options["schedule_to_close_timeout"] = remaining
        poll = workflow.start_activity_method(  # type: ignore[call-overload]  # the config dict spread in: mypy cannot match it to an overload
            watch.poll,
            watch.arg,
            **on_bird_queue(options, self.bird_task_queue, self.generation),
            summary=f"poll: {watch.what}",
        )
        signalled = asyncio.ensure_future(workflow.wait_condition(watch.settled))
        try:
            await workflow.wait([poll, signalled], return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            signalled.cancel()
            poll.cancel()
            raise
        if not signalled.done():
            signalled.cancel()
        if not poll.done():
            poll.cancel()  # an event settled it first: Bird's answer is no longer needed (abandoned)
            await workflow.wait([poll])
            return
        waiting.next_poll_at = None
        if poll.cancelled():
            return
        err = poll.exception()
        if err is None:
            self._count(waiting, 1)
            watch.record(poll.result())
            return
        if (
            until is not None
            and workflow.now() >= until
            and isinstance(err, ActivityError)
            and isinstance(err.cause, ActivityTimeout)
        ):
            return  # the deadline ended the round: the wait decides what comes next
        if isinstance(err, ActivityError) and not (failure := failure_of(err)).non_retryable:
            # The round ran out of attempts while Bird kept saying "not yet" (or kept failing
            # transiently): polling goes on. Anything non-retryable is Bird refusing us, for the caller.
            self._count(waiting, POLLS_PER_ROUND)
            if failure.type == NOT_YET and failure.details is not None:
                watch.record_last_seen(failure.details)
            return
        raise err

    def _count(self, waiting: Waiting, polls: int) -> None:
        waiting.polls += polls
        self.polls_this_run += polls


class Verdicts:
    """The steps that wait for a verdict on an object: AWAIT_BRAND, VETTING, AWAIT_CAMPAIGN, AWAIT_READY."""

    def __init__(
        self,
        state: OnboardingState,
        input: OnboardingInput,
        recorder: Recorder,
        needs_action: NeedsAction,
        waiter: Waiter,
    ) -> None:
        self.state = state
        self._input = input
        self._recorder = recorder
        self._needs_action = needs_action
        self._waiter = waiter

    async def await_verdict(self, kind: Kind) -> None:
        """Wait until the object is accepted (approved, or ready); on a rejection, stop for a person."""
        wait, objects, blocking = wait_for(kind), self.state.objects, self._needs_action
        while not wait.accepted(objects) or self._unconfirmed(kind):
            if self._unconfirmed(kind):
                # accepted on an event's word alone (perhaps before the step began): Bird's answer
                # decides, whether accepted, back to waiting, or a rejection
                await blocking.guarded(wait.step, lambda: self.look(kind))
                continue
            await blocking.guarded(wait.step, lambda: self._wait(kind))
            if not wait.accepted(objects):
                if self.state.blocked is None:
                    await blocking.block_on_rejection(kind, wait.step, lambda: self.look(kind))
                await blocking.park()
        self._recorder.finish(wait.step)

    def _unconfirmed(self, kind: Kind) -> bool:
        """Accepted on an event's word alone, with a billable step to follow."""
        wait, obj = wait_for(kind), self.state.objects.get(kind)
        return self.state.gets_win and wait.confirm and wait.accepted(self.state.objects) and obj.from_event

    async def look(self, kind: Kind) -> None:
        """Ask Bird once, and record the answer."""
        wait = wait_for(kind)
        query = wait.query(self._input.workspace_id, self.state.objects)
        options = BIRD_GET if uses(self.state.generation, FEWER_COMMANDS_PATCH) else BIRD_CALL
        ref = await workflow.execute_activity_method(  # type: ignore[call-overload]  # the config dict spread in: mypy cannot match it to an overload
            wait.get, query, **on_bird_queue(options, self._input.bird_task_queue, self.state.generation), summary=f"look: {kind}"
        )
        self._recorder.record(kind, ref)

    async def _wait(self, kind: Kind) -> None:
        wait, objects = wait_for(kind), self.state.objects
        self._recorder.enter(wait.step)
        obj = objects.get(kind)
        if obj.status is None:  # e.g. an existing brand: look before waiting
            await self.look(kind)
        if wait.settled(objects):
            return
        watch = Watch(
            what=f"{kind} {obj.id} {wait.awaits}",
            settled=lambda: wait.settled(objects),
            poll=wait.poll,
            arg=wait.query(self._input.workspace_id, objects),
            record=lambda ref: self._recorder.record(kind, ref),
            record_last_seen=lambda seen: self._recorder.record_last_seen(kind, seen),
        )
        waiting = self._waiting(wait.step, kind, obj.id or "", watch.what)
        days = getattr(self._input.deadlines, wait.deadline_field)
        if not await self._waiter.until_settled_or_due(watch, waiting, days):
            # One last look: the decision may have been made, and its event lost, since the last poll.
            await self.look(kind)
            self._stop_if_still_waiting(wait.step, kind, wait.settled(objects))
            return
        self.state.waiting = None

    def _stop_if_still_waiting(self, step: Step, kind: Kind, settled: bool) -> None:
        """After the last look at a wait that ran out: go on if it is settled after all, else stop
        for a person, saying which wait ran out."""
        waiting, self.state.waiting = self.state.waiting, None
        if settled or waiting is None:
            return
        obj = self.state.objects.get(kind)
        self.state.block(wait_ran_out(step, kind, obj.id or "", obj.status, waiting, workflow.now()))
        self._recorder.index()

    def _waiting(self, step: Step, kind: Kind, object_id: str, what: str) -> Waiting:
        """The wait in progress for this object, kept across continue-as-new, or a new one."""
        current = self.state.waiting
        if current is None or current.kind != kind or current.object_id != object_id:
            current = Waiting(step=step, kind=kind, object_id=object_id, what=what, since=workflow.now())
            self.state.waiting = current
        return current


def wait_ran_out(step: Step, kind: Kind, object_id: str, status: str | None, waiting: Waiting, now: datetime) -> Blocker:
    """The blocker for a wait whose deadline passed with the object still undecided."""
    deadline = waiting.deadline_at or now
    days = (deadline - waiting.since) / timedelta(days=1)
    return Blocker(
        step=step,
        kind=kind,
        object_id=object_id,
        status=status,
        reason=(
            f"the {wait_for(kind).name} wait ran out: {kind} {object_id} is still {status or 'undecided'} after "
            f"{days:g} days (deadline {deadline:%Y-%m-%d %H:%M} UTC); extend the wait or cancel"
        ),
        since=now,
        deadline_at=deadline,
    )


def resumed_wait(blocker: Blocker, now: datetime, days: float) -> Waiting:
    """The wait `extend_deadline` resumes: the same object, from now, with the new deadline (the
    step picks it up, as it picks up a wait kept across continue-as-new)."""
    kind = blocker.kind or Kind.CONNECTOR
    return Waiting(
        step=blocker.step,
        kind=kind,
        object_id=blocker.object_id or "",
        what=f"{kind} {blocker.object_id} {wait_for(kind).awaits}",
        since=now,
        deadline_at=now + timedelta(days=days),
    )
