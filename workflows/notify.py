"""Notifications, delivered durably without ever holding up an onboarding's steps: each is one
activity (activities/notify.py) started and not awaited, whose retry policy goes on for days. Only
the end of a run waits for the notifications still in flight — continue-as-new (so that none is
lost with the run) and the workflow's close after DONE or CANCELLED — by which time the step and
the result are already final.

The message's `webhook-id` is derived from the onboarding's workflow id, a counter kept in the
onboarding state and the event, so every retry of one message carries the same id."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotifyActivities
    from workflows.details import notification
    from workflows.features import OPERATOR_PATCH, uses
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


class Notifier:
    """Starts one notify activity per event an operator must hear of; `settle` waits for them."""

    def __init__(self, state: OnboardingState) -> None:
        self.state = state
        self._in_flight: list[asyncio.Future[Any]] = []

    async def send(self, kind: str) -> None:
        if not uses(self.state.generation, OPERATOR_PATCH):
            return
        self.state.notifications += 1
        note = notification(self.state, kind, self.state.notifications, workflow.now())
        handle = workflow.start_activity_method(  # type: ignore[call-overload]  # the config dict spread in: mypy cannot match it to an overload
            NotifyActivities.notify, note, **NOTIFY_DELIVERY, summary=f"notify: {kind}"
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
