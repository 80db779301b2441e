"""Notifications, delivered durably without ever holding up an onboarding: each is a small child
workflow (`NotifyWorkflow`) whose one activity POSTs it, retried for days. The onboarding only waits
for the child to start (a round trip to Temporal, never to the receiver); the child is abandoned, so
it outlives the onboarding's end and its continue-as-new.

Its workflow id is the message's `webhook-id`: derived from the onboarding's workflow id, a counter
kept in the onboarding state and the event, so every retry of one message carries the same id and
no message is started twice."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.notify import Notification, NotifyActivities
    from workflows.details import notification
    from workflows.state import OnboardingState

# Everything this work added to what the onboarding does (notifications, Temporal's own
# cancellation ending like `cancel`, a poll round stopped at its deadline) is behind this patch:
# onboardings recorded before it replay unchanged.
OPERATOR_PATCH = "operator-visibility"

# A receiver that is down for a day still gets every message: retries back off to an hour and go
# on for three days.
NOTIFY_DELIVERY = workflow.ActivityConfig(
    start_to_close_timeout=timedelta(seconds=30),
    schedule_to_close_timeout=timedelta(days=3),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=5), backoff_coefficient=2.0, maximum_interval=timedelta(hours=1)
    ),
)


@workflow.defn
class NotifyWorkflow:
    """Deliver one notification (activities/notify.py), retrying until the receiver takes it."""

    @workflow.run
    async def run(self, note: Notification) -> str:
        return await workflow.execute_activity_method(
            NotifyActivities.notify, note, **NOTIFY_DELIVERY, summary=f"notify: {note.type}"
        )


class Notifier:
    """Starts one `NotifyWorkflow` per event an operator must hear of."""

    def __init__(self, state: OnboardingState) -> None:
        self.state = state

    async def send(self, kind: str) -> None:
        if not workflow.patched(OPERATOR_PATCH):
            return
        self.state.notifications += 1
        note = notification(self.state, kind, self.state.notifications, workflow.now())
        try:
            await workflow.start_child_workflow(
                NotifyWorkflow.run,
                note,
                id=note.webhook_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                static_summary=note.text[:200],
            )
        except WorkflowAlreadyStartedError:
            pass  # this very message is already on its way
