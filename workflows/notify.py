"""Notifications, delivered durably without ever holding up an onboarding's steps.

A notification in the middle of a run (NEEDS_ACTION) is one activity (activities/notify.py) started
and not awaited, whose retry policy goes on for days; only the end of a run waits for those still
in flight — continue-as-new (so that none is lost with the run) and the workflow's close — by which
time the step and the result are already final.

The run's last notification (DONE, or CANCELLED by `cancel` or by Temporal's cancellation) is tried
first as a local activity (since NOTIFY_AT_END_PATCH, generation 4): one attempt of at most
NOTIFY_AT_ONCE's timeout, in the workflow task that reached the end. When the receiver answers 2xx,
or none is configured, the run closes in that same task, with one marker in its history instead of
an activity's three events and the three of the workflow task its answer would wake. When the
attempt fails (refused, unreachable, too slow), the same message goes to the durable activity, as
every notification did before. The price: the workflow task stays open while the attempt runs, so
the task's commands — the DONE or CANCELLED step attribute, the result, the answer to `cancel` —
reach Temporal up to NOTIFY_AT_ONCE's timeout (3 seconds) later when a receiver does not answer;
the steps themselves are over by then. A NEEDS_ACTION notification stays an activity not awaited:
a local attempt would hold everything its workflow task decided behind a slow receiver.

The message's `webhook-id` is derived from the onboarding's workflow id, a counter kept in the
onboarding state and the event, so every attempt of one message, local or durable, carries the
same id: a receiver sees one message, possibly twice, never two ids for it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from activities.notify import Notification, NotifyActivities
    from workflows.details import notification
    from workflows.features import NOTIFY_AT_END_PATCH, OPERATOR_PATCH, uses
    from workflows.state import OnboardingState

# Everything this work added to what the onboarding does (notifications, Temporal's own
# cancellation ending like `cancel`, a poll round stopped at its deadline) is behind OPERATOR_PATCH:
# onboardings recorded before it replay unchanged.

# A receiver that is down for a day still gets every message: retries back off to an hour and go
# on for three days.
NOTIFY_DELIVERY = workflow.ActivityConfig(
    start_to_close_timeout=timedelta(seconds=30),
    schedule_to_close_timeout=timedelta(days=3),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=5), backoff_coefficient=2.0, maximum_interval=timedelta(hours=1)
    ),
)

# The run's last notification, tried once as a local activity before NOTIFY_DELIVERY. A receiver
# that is up answers a POST in well under a second (a chat webhook included); one that has not
# answered in 3 seconds is left to the durable path. The bound is also how long the workflow task
# that reached the end stays open, and it keeps well below the 10-second workflow task timeout: at
# 80% of it the SDK would extend the task with a workflow task more, the very events this saves.
# Scheduled to close, so a worker whose local-activity slots are busy waits no longer either.
NOTIFY_AT_ONCE = workflow.LocalActivityConfig(
    schedule_to_close_timeout=timedelta(seconds=3),
    retry_policy=RetryPolicy(maximum_attempts=1),
)


class Notifier:
    """Sends each event an operator must hear of: `send` mid-run, `send_at_end` for the run's last;
    `settle` waits for the notify activities still in flight."""

    def __init__(self, state: OnboardingState) -> None:
        self.state = state
        self._in_flight: list[asyncio.Future[Any]] = []

    async def send(self, kind: str) -> None:
        """A notification in the middle of a run: a durable activity, not awaited."""
        if not uses(self.state.generation, OPERATOR_PATCH):
            return
        self._deliver(self._next(kind))

    async def send_at_end(self, kind: str) -> None:
        """The run's last notification (DONE, CANCELLED): one local attempt at once, and the
        durable activity with the same message only if that attempt fails. Returns when the local
        attempt has ended, at most NOTIFY_AT_ONCE's timeout later."""
        if not uses(self.state.generation, OPERATOR_PATCH):
            return
        if not uses(self.state.generation, NOTIFY_AT_END_PATCH):
            self._deliver(self._next(kind))
            return
        note = self._next(kind)
        try:
            await workflow.execute_local_activity_method(  # type: ignore[call-overload]  # the config dict spread in: mypy cannot match it to an overload
                NotifyActivities.notify, note, **NOTIFY_AT_ONCE, summary=f"notify at once: {kind}"
            )
        except FailureError:
            # Refused, unreachable or too slow (the failure is in the marker): the durable path.
            # A local activity's failure reaches the workflow as the activity's own error
            # (ApplicationError, TimeoutError), not wrapped in the ActivityError a regular
            # activity's failure comes in; FailureError is the base of all of them.
            self._deliver(note)

    def _next(self, kind: str) -> Notification:
        self.state.notifications += 1
        return notification(self.state, kind, self.state.notifications, workflow.now())

    def _deliver(self, note: Notification) -> None:
        handle = workflow.start_activity_method(  # type: ignore[call-overload]  # the config dict spread in: mypy cannot match it to an overload
            NotifyActivities.notify, note, **NOTIFY_DELIVERY, summary=f"notify: {note.type}"
        )
        self._in_flight.append(handle)

    async def settle(self) -> None:
        """Wait for the notifications in flight (delivered, or given up after days)."""
        pending, self._in_flight = self._in_flight, []
        if pending:
            await workflow.wait(pending)
            for handle in pending:
                if not handle.cancelled():
                    handle.exception()  # an undeliverable notification does not fail the onboarding
