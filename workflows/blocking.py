"""NEEDS_ACTION: a refused call or a rejection stops the onboarding with Bird's words until a person
clears `blocked`. Apart from the steps, so that each step reads as if every call succeeded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.errors import NO_NUMBER_IN_STOCK
    from activities.notify import NEEDS_ACTION
    from workflows.contract import Step
    from workflows.failures import cancelled_call, failure_of, join_field_errors
    from workflows.kinds import Kind, wait_for
    from workflows.options import BIRD_CALL, BIRD_CREATE, on_bird_queue
    from workflows.recording import Recorder
    from workflows.state import Blocker, ErrorInfo, OnboardingState

T = TypeVar("T")

NUMBER_PREFIX_FIELD = "number.prefix"  # the request field a prefix with no stock left asks to change


@dataclass
class CreateGate:
    """The billable creates in flight, so that a cancel lets one finish (and so learns, and
    reports, what it bought) and lets no new one start."""

    in_flight: list[str] = field(default_factory=list)
    closed: bool = False

    async def run(self, name: str, start: Callable[[], Awaitable[T]]) -> T:
        if self.closed:
            # A cancel is stopping the onboarding and will cancel this task: start nothing billable.
            await workflow.wait_condition(lambda: False)
        self.in_flight.append(name)
        try:
            return await start()
        finally:
            self.in_flight.remove(name)


class NeedsAction:
    """Guards a step's calls: a refusal blocks the step, which parks until a person unblocks it."""

    def __init__(
        self,
        state: OnboardingState,
        recorder: Recorder,
        checkpoint_due: Callable[[], bool],
        checkpoint: Callable[[], Awaitable[None]],
        notify: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.state = state
        self._recorder = recorder
        self._checkpoint_due = checkpoint_due
        self._checkpoint = checkpoint  # continues as new; does not return when it does
        self._notify = notify  # tells a person (workflows/notify.py)
        self.creates = CreateGate()
        self.bird_task_queue: str | None = None  # where Bird activities run (workflows/options.py)

    async def call(
        self,
        step: Step,
        activity: Callable[..., Awaitable[T]],
        arg: Callable[[], Any],
        *,
        billable: bool = False,
        starting: bool = False,
        passing: tuple[str, ...] = (),
    ) -> T:
        """One Bird call for `step`, its argument built afresh each time (a person may have changed
        what it is built from); if Bird refuses it, stop in NEEDS_ACTION and try again once unblocked.
        A billable call is a create: longer options, and a cancel waits for it (`CreateGate`).
        Failures of a type in `passing` are the caller's to handle: raised, nobody is asked.
        `starting`: the call starts new work and waits behind calls of onboardings under way."""

        def attempt() -> Awaitable[T]:
            return workflow.execute_activity_method(  # type: ignore[call-overload]  # the config dict spread in: mypy cannot match it to an overload
                activity,
                arg(),
                **on_bird_queue(
                    BIRD_CREATE if billable else BIRD_CALL, self.bird_task_queue, self.state.generation, starting=starting
                ),
                summary=f"{step.value}: {activity.__name__}",
            )

        if billable:
            return await self.guarded(step, lambda: self.creates.run(activity.__name__, attempt), passing)
        return await self.guarded(step, attempt, passing)

    async def guarded(self, step: Step, attempt: Callable[[], Awaitable[T]], passing: tuple[str, ...] = ()) -> T:
        while True:
            if self.state.blocked is None:
                try:
                    return await attempt()
                except ActivityError as err:
                    if cancelled_call(err):
                        raise asyncio.CancelledError() from None
                    if passing and failure_of(err).type in passing:
                        raise
                    self.block_on_failure(step, err)
            await self.park()

    def block_on_failure(self, step: Step, err: ActivityError) -> None:
        failure = failure_of(err)
        details = failure.details or {}
        now = workflow.now()
        error = ErrorInfo(
            step=step,
            operation=err.activity_type or "",
            type=failure.type,
            message=failure.message,
            status=details.get("status"),
            code=details.get("code") or None,
            field_errors=failure.field_errors,
            at=now,
        )
        reason = failure.message
        if error.field_errors:
            reason += " — " + join_field_errors(error.field_errors)
        blocker = Blocker(step=step, reason=reason, since=now)
        if failure.type == NO_NUMBER_IN_STOCK:
            # What a retry needs: the number is what is missing, another prefix the way on.
            blocker.kind, blocker.field = Kind.NUMBER, NUMBER_PREFIX_FIELD
        self.state.block(blocker, error)
        self._recorder.index()

    async def block_on_rejection(self, kind: Kind, step: Step, look: Callable[[], Awaitable[None]]) -> None:
        """Read why Bird said no (events never say) with `look`, then stop in NEEDS_ACTION with
        that reason."""
        wait, objects = wait_for(kind), self.state.objects
        try:
            await look()
        except ActivityError as err:
            if cancelled_call(err):
                raise asyncio.CancelledError() from None
            # otherwise the status alone still says what happened; the reason stays unknown
        if not wait.settled(objects) or wait.accepted(objects):
            return  # it moved on while we looked
        obj = objects.get(kind)
        reason = obj.reason or "Bird gave no reason"
        self.state.block(
            Blocker(
                step=step,
                kind=kind,
                object_id=obj.id,
                status=obj.status,
                reason=f"{kind} {obj.id} is {obj.status}: {reason}",
                since=workflow.now(),
            )
        )
        self._recorder.index()

    async def park(self) -> None:
        """Wait in NEEDS_ACTION until a person's action clears `blocked` (workflows/actions.py).
        A person is told once per stop, not again after continue-as-new."""
        blocker = self.state.blocked
        if blocker is not None and not blocker.notified and self._notify is not None:
            blocker.notified = True
            await self._notify(NEEDS_ACTION)
        while self.state.blocked is not None:
            await workflow.wait_condition(lambda: self.state.blocked is None or self._checkpoint_due())
            if self.state.blocked is not None:
                await self._checkpoint()
