"""What an operator sees and is told (issue 15, the workflow's half): `retry` moving each dead end
forward to DONE, notifications (signed, retried with one webhook-id, never delaying the steps),
Temporal's own cancellation ending like `cancel`, the current details, and a poll round stopped at
its deadline. On the time-skipping server; Bird is the sandbox in-process or the in-memory fake."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import httpx
from standardwebhooks.webhooks import Webhook
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHistory
from temporalio.exceptions import ApplicationError

from activities import onboarding_activities
from activities.errors import BIRD_REJECTED, NO_NUMBER_IN_STOCK, error_details
from activities.notify import NotifySettings, notify_activities
from sandbox.config import SandboxConfig
from tests.workflows.fake_bird import FakeBird
from tests.workflows.helpers import make_input, onboarding_worker, record_history, refusal, start, status
from tests.workflows.sandbox_world import sandbox_world
from workflows.contract import STEP as STEP_KEY, Step
from workflows.details import current_details, next_command
from workflows.features import GENERATION
from workflows.inputs import PollSettings
from workflows.messages import CancelOnboarding, RetryStep
from workflows.notify import NOTIFY_AT_ONCE
from workflows.onboarding import OnboardingWorkflow

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
RECEIVER = "http://receiver.test/hooks/tendlc"


def decided_fake() -> FakeBird:
    """Bird answers every verdict at once: an onboarding runs straight through."""
    return FakeBird(brand="APPROVED", vetting="APPROVED", campaign="APPROVED", connector="ok")


def rejected(name: str, message: str, type: str = BIRD_REJECTED) -> ApplicationError:
    details = error_details(name, status=422, code="invalid", field_errors={"body": [message]})
    return ApplicationError(f"{name}: {message}", details, type=type, non_retryable=True)


class Receiver:
    """A webhook receiver behind httpx.MockTransport: answers `codes` in turn, then 204. With
    `slow`, it takes that many seconds to answer the first request."""

    def __init__(self, *codes: int, hang: bool = False, slow: float = 0.0) -> None:
        self.codes, self.hang, self.slow = list(codes), hang, slow
        self.requests: list[httpx.Request] = []

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.slow and len(self.requests) == 1:
            await asyncio.sleep(self.slow)
        if self.hang:
            raise httpx.ReadTimeout("the receiver did not answer", request=request)
        return httpx.Response(self.codes.pop(0) if self.codes else 204)

    def activities(self) -> list:
        settings = NotifySettings(url=RECEIVER, secret=SECRET, ui_url="http://ui.test", namespace="default")
        return notify_activities(settings, transport=httpx.MockTransport(self.handler))


# -- retry: every dead end has a way forward ------------------------------------------------------


async def test_no_stock_for_the_prefix_is_retried_with_another_prefix(ts_env):
    async with (
        sandbox_world(SandboxConfig.instant()) as world,
        onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue,
    ):
        handle = await start(ts_env.client, make_input(number={"country_code": "US", "prefix": "+1999"}), queue)
        await ts_env.sleep(timedelta(hours=1))
        blocked = await status(handle)
        assert blocked.step == Step.NEEDS_ACTION and blocked.blocked.step == Step.BUY_NUMBER
        assert "+1999" in blocked.blocked.reason
        details = current_details(blocked)
        assert "tendlc retry" in details and "+1999" in details
        wrong = await refusal(handle, OnboardingWorkflow.retry, RetryStep.model_validate({"corrections": {"connector": {"name": "x"}}}))
        assert "corrections.connector" in wrong.message
        done = await handle.execute_update(
            OnboardingWorkflow.retry, RetryStep.model_validate({"corrections": {"number": {"prefix": "+1415"}}})
        )
        result = await handle.result()
        await record_history(handle, "retry-no-stock-new-prefix")
    assert done.action == "retry" and done.step == Step.BUY_NUMBER
    assert result.step == Step.DONE and result.number_string.startswith("+1415")


async def test_a_number_bird_refused_to_sell_is_replaced_by_one_chosen_again(ts_env):
    bird = decided_fake()
    bird.failures["buy_number"] = rejected("buy_number", "the stock item is no longer available")
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        input = make_input()
        handle = await start(ts_env.client, input, queue)
        await ts_env.sleep(timedelta(minutes=5))
        blocked = await status(handle)
        assert blocked.blocked.step == Step.BUY_NUMBER and blocked.objects.number.stock_item_id
        del bird.failures["buy_number"]
        done = await handle.execute_update(
            OnboardingWorkflow.retry, RetryStep.model_validate({"corrections": {"number": {"prefix": "+1628"}}})
        )
        result = await handle.result()
    assert "chosen in place of" in done.done
    assert bird.calls["choose_number"] == 2 and bird.calls["buy_number"] == 2
    assert bird.owners == [input.onboarding_id] * 2  # the step's choice and the retry's both claim for it
    assert result.step == Step.DONE


async def test_a_rejected_vetting_is_replaced_only_with_the_new_fee_confirmed(ts_env):
    config = SandboxConfig.instant(
        scenario={"overrides": [{"kind": "vetting", "count": 1, "reviews": {"outcome": "reject"}}]}
    )
    async with sandbox_world(config) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            handle = await start(ts_env.client, make_input(), queue)
            await ts_env.sleep(timedelta(days=2))
            blocked = await status(handle)
            assert blocked.blocked.kind == "vetting" and blocked.blocked.status == "REJECTED"
            assert next_command(blocked).endswith("--confirm-new-fee")
            old_id = blocked.objects.vetting.id
            refused = await refusal(handle, OnboardingWorkflow.retry, RetryStep())
            assert "confirm_new_fee" in refused.message
            done = await handle.execute_update(OnboardingWorkflow.retry, RetryStep(confirm_new_fee=True))
            result = await handle.result()
            final = await status(handle)
            await record_history(handle, "retry-vetting-rejected")
        ledger = await world.ledger_counts()
    assert done.object_id != old_id and done.replaced_id == old_id
    assert result.step == Step.DONE and result.vetting_id == done.object_id
    assert ledger["vetting"] == 2
    assert {c.object_id for c in final.charges if c.kind == "vetting"} == {old_id, done.object_id}


async def test_a_connector_bird_refused_is_installed_with_corrected_fields(ts_env):
    async with sandbox_world(SandboxConfig.instant()) as world:
        async with onboarding_worker(ts_env.client, onboarding_activities(world.bird)) as queue:
            # Intake refuses a value outside Bird's enum, so Bird's own 422 is what stops an
            # onboarding here: one started before that check, or a value Bird stops accepting.
            input = make_input()
            input.connector.channel_message_type = "marketing"
            handle = await start(ts_env.client, input, queue)
            await ts_env.sleep(timedelta(days=2))
            blocked = await status(handle)
            assert blocked.blocked.step == Step.INSTALL_CONNECTOR and "channelMessageType" in blocked.blocked.reason
            done = await handle.execute_update(
                OnboardingWorkflow.retry,
                RetryStep.model_validate({"corrections": {"connector": {"channelMessageType": "transactional"}}}),
            )
            result = await handle.result()
            final = await status(handle)
            await record_history(handle, "retry-connector-corrected")
        connectors = (await world.objects())["connectors"]
    assert "connector" in done.done
    assert result.step == Step.DONE
    assert connectors[0]["arguments"]["channelMessageType"] == "transactional"
    # DONE shows the readiness that made it DONE, not a warning seen on the way
    assert final.objects.connector.status in ("ok", "active") and "INACTIVE" not in (final.objects.connector.reason or "")


async def test_a_create_bird_refused_is_tried_again(ts_env):
    bird = decided_fake()
    bird.failures["create_brand"] = rejected("create_brand", "Bird is not taking brands right now")
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input(), queue)
        await ts_env.sleep(timedelta(minutes=5))
        assert (await status(handle)).blocked.step == Step.REGISTER_BRAND
        del bird.failures["create_brand"]
        await handle.execute_update(OnboardingWorkflow.retry, RetryStep())
        assert (await handle.result()).step == Step.DONE
    assert bird.calls["create_brand"] == 2


# -- notifications ----------------------------------------------------------------------------------


async def test_a_needs_action_notification_is_signed_and_retried_with_one_webhook_id(ts_env):
    bird = decided_fake()
    bird.failures["choose_number"] = rejected("choose_number", "no SMS-capable numbers", NO_NUMBER_IN_STOCK)
    receiver = Receiver(500, 500)
    async with onboarding_worker(ts_env.client, [*bird.activities(), *receiver.activities()]) as queue:
        handle = await start(ts_env.client, make_input(), queue)
        await ts_env.sleep(timedelta(minutes=5))
        del bird.failures["choose_number"]
        await handle.execute_update(OnboardingWorkflow.retry, RetryStep())
        result = await handle.result()
        await record_history(handle, "notified-needs-action-and-done")

    assert result.step == Step.DONE
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == 4 and len(set(ids[:3])) == 1 and ids[3] != ids[0]  # 500, 500, 204; then DONE
    bodies = [Webhook(SECRET).verify(r.content.decode(), dict(r.headers)) for r in receiver.requests]
    first, last = bodies[0], bodies[-1]
    assert first["type"] == "onboarding.needs_action" and last["type"] == "onboarding.done"
    assert first["data"]["step"] == "BUY_NUMBER" and first["data"]["action"].startswith("tendlc retry ")
    assert first["data"]["ui_url"] == f"http://ui.test/namespaces/default/workflows/{handle.id}"
    assert "needs a person" in first["text"] and "\n" not in first["text"]
    assert last["data"]["bird_ids"]["connector"] and SECRET not in json.dumps(bodies)
    history = (await handle.fetch_history()).to_json()
    assert SECRET not in history and RECEIVER not in history


async def test_a_receiver_that_never_answers_leaves_the_timing_unchanged(ts_env):
    async def timeline(receiver: Receiver):
        bird = FakeBird()
        for kind, verdict in (("brand", "APPROVED"), ("vetting", "APPROVED"), ("campaign", "APPROVED"), ("connector", "ok")):
            bird.decide(kind, verdict, after=timedelta(hours=3))
        async with onboarding_worker(ts_env.client, [*bird.activities(), *receiver.activities()]) as queue:
            handle = await start(ts_env.client, make_input(poll=PollSettings(min_seconds=600, max_seconds=600)), queue)
            await ts_env.sleep(timedelta(days=1))
            done = await status(handle)
            if receiver.hang:
                running = (await handle.describe()).status
                receiver.hang = False  # let the notification through, so the run can close
                await handle.result()
                return done, running
            await handle.result()
            return done, None

    base, _ = await timeline(Receiver())
    down, running = await timeline(Receiver(hang=True))
    assert base.step == down.step == Step.DONE
    # when each step ended (to within seconds: the time-skipping server moves on while real
    # milliseconds pass in the steps that wait for nothing); the waits take hours
    spans = lambda s: [(r.step, r.outcome, (r.ended_at - s.started_at).total_seconds()) for r in s.steps]  # noqa: E731
    assert [a[:2] for a in spans(down)] == [b[:2] for b in spans(base)]
    assert all(abs(a[2] - b[2]) < 10 for a, b in zip(spans(down), spans(base), strict=True)), (spans(down), spans(base))
    assert spans(base)[-1][2] >= 3 * 3600
    assert running == WorkflowExecutionStatus.RUNNING  # only its last notification was still retrying


def notify_activities_scheduled(history: WorkflowHistory) -> int:
    return sum(
        1
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "notify"
    )


def local_attempts(history: WorkflowHistory) -> list:
    """The markers of the local activities (the DONE / CANCELLED notification's attempt at once)."""
    return [
        e.marker_recorded_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]


async def run_to_done(ts_env, receiver: Receiver, history_name: str | None = None) -> tuple[Step, WorkflowHistory]:
    """An onboarding started as today's `tendlc start` starts it, with Bird deciding at once
    (its history kept for the replay test as `history_name`, when given)."""
    async with onboarding_worker(ts_env.client, [*decided_fake().activities(), *receiver.activities()]) as queue:
        input = make_input()
        input.generation = GENERATION
        handle = await start(ts_env.client, input, queue)
        result = await handle.result()
        if history_name is not None:
            await record_history(handle, history_name)
        return result.step, await handle.fetch_history()


async def test_a_receiver_that_answers_at_once_gets_done_from_the_local_attempt(ts_env):
    receiver = Receiver()
    step, history = await run_to_done(ts_env, receiver)
    assert step == Step.DONE
    assert len(receiver.requests) == 1
    body = Webhook(SECRET).verify(receiver.requests[0].content.decode(), dict(receiver.requests[0].headers))
    assert body["type"] == "onboarding.done"
    assert notify_activities_scheduled(history) == 0
    [attempt] = local_attempts(history)
    assert not attempt.HasField("failure")
    assert SECRET not in history.to_json() and RECEIVER not in history.to_json()


async def test_a_receiver_that_refuses_done_gets_it_from_the_activity_with_the_same_webhook_id(ts_env):
    receiver = Receiver(500)  # the local attempt is refused; the activity's first attempt gets 204
    step, history = await run_to_done(ts_env, receiver, "notify-at-end-refused-then-activity")
    assert step == Step.DONE
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert [Webhook(SECRET).verify(r.content.decode(), dict(r.headers))["type"] for r in (first, second)] == [
        "onboarding.done"
    ] * 2
    [attempt] = local_attempts(history)
    assert "answered 500" in attempt.failure.message
    assert notify_activities_scheduled(history) == 1


async def test_a_receiver_too_slow_for_the_local_attempt_holds_the_last_task_only_that_long(ts_env):
    limit = NOTIFY_AT_ONCE["schedule_to_close_timeout"].total_seconds()
    receiver = Receiver(slow=limit + 20)  # would answer the first request long after the attempt gave up
    began = time.monotonic()
    step, history = await run_to_done(ts_env, receiver)
    took = time.monotonic() - began
    assert step == Step.DONE
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1 and len(receiver.requests) == 2
    [attempt] = local_attempts(history)
    assert attempt.failure.timeout_failure_info.timeout_type  # timed out
    assert notify_activities_scheduled(history) == 1
    # The task that reached DONE completed (with the DONE step attribute) once the attempt ran out,
    # and not later: still within the workflow task timeout, so no extra task extended it.
    assert limit <= took < limit + 5, took
    events = list(history.events)
    marker = next(i for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED)
    started = next(e for e in reversed(events[:marker]) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)
    completed = next(e for e in reversed(events[:marker]) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    held = (completed.event_time.ToDatetime() - started.event_time.ToDatetime()).total_seconds()
    assert limit <= held < limit + 2, held


# -- cancellation by Temporal ------------------------------------------------------------------------


async def test_temporal_cancellation_ends_like_the_cancel_update(ts_env):
    bird = FakeBird()  # the brand stays PENDING
    receiver = Receiver()
    async with onboarding_worker(ts_env.client, [*bird.activities(), *receiver.activities()]) as queue:
        handle = await start(ts_env.client, make_input(), queue)
        await ts_env.sleep(timedelta(hours=2))
        await handle.cancel()
        result = await handle.result()
        final = await status(handle)
        description = await handle.describe()
        await record_history(handle, "cancelled-by-temporal")
        history = await handle.fetch_history()
    assert description.status == WorkflowExecutionStatus.COMPLETED
    assert result.step == final.step == Step.CANCELLED
    assert description.typed_search_attributes.get(STEP_KEY) == "CANCELLED"
    assert {b.kind for b in result.still_billed} == {"number", "brand"}
    assert "cancelled in Temporal" in final.steps[-1].note
    assert [json.loads(r.content)["type"] for r in receiver.requests] == ["onboarding.cancelled"]
    # delivered by the attempt at once, although the workflow's cancellation had been requested
    assert notify_activities_scheduled(history) == 0 and len(local_attempts(history)) == 1


async def test_the_cancel_update_notifies_too(ts_env):
    receiver = Receiver()
    async with onboarding_worker(ts_env.client, [*FakeBird().activities(), *receiver.activities()]) as queue:
        handle = await start(ts_env.client, make_input(), queue)
        await ts_env.sleep(timedelta(hours=2))
        await handle.execute_update(OnboardingWorkflow.cancel, CancelOnboarding(reason="customer left"))
        await handle.result()
        await record_history(handle, "notify-at-end-cancel-update")
        history = await handle.fetch_history()
    body = json.loads(receiver.requests[-1].content)
    assert body["type"] == "onboarding.cancelled" and "customer left" in body["text"]
    assert notify_activities_scheduled(history) == 0 and len(local_attempts(history)) == 1


# -- waits and details ---------------------------------------------------------------------------------


async def test_a_wait_that_ran_out_stops_its_poll_round(ts_env):
    bird = FakeBird()  # the brand never decides
    poll = PollSettings(min_seconds=3600, max_seconds=4 * 3600)
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input(poll=poll, deadlines={"brand_days": 1}), queue)
        await ts_env.sleep(timedelta(days=2))
        blocked = await status(handle)
        polls = bird.calls["poll_brand"]
        await ts_env.sleep(timedelta(days=3))
        later = bird.calls["poll_brand"]
        await handle.terminate("test over")
    assert blocked.step == Step.NEEDS_ACTION and blocked.blocked.deadline_at is not None
    assert next_command(blocked).startswith("tendlc extend-deadline ")
    assert later == polls  # nothing polls Bird once the wait ran out


async def test_waiting_details_say_what_since_next_poll_and_deadline(ts_env):
    async with onboarding_worker(ts_env.client, FakeBird().activities()) as queue:
        handle = await start(ts_env.client, make_input(), queue)
        await ts_env.sleep(timedelta(hours=2))
        waiting = await status(handle)
        await handle.terminate("test over")
    text = current_details(waiting)
    assert "AWAIT_BRAND" in text and "next poll" in text and "deadline" in text and "since" in text

