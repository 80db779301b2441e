"""Deadlines on the waits (workflows/waits.py) on the time-skipping server: each wait runs out
into NEEDS_ACTION after one last look, a person extends it or cancels, and a decision the last
look finds lets the onboarding go on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.workflows.fake_bird import BRAND_ID, CAMPAIGN_ID, CONNECTOR_ID, VETTING_ID, FakeBird
from tests.workflows.helpers import make_input, onboarding_worker, record_history, refusal, start, status
from workflows.contract import Step
from workflows.inputs import PollSettings
from workflows.messages import CancelOnboarding, ExtendDeadline, ResubmitBrand, ResubmitCampaign
from workflows.onboarding import OnboardingWorkflow

# Polls are rare here, so that a wait is mostly its deadline timer and the test stays quick.
RARE_POLLS = PollSettings(min_seconds=3600, max_seconds=4 * 86400)

# kind -> the step that waits, the object, the GET the last look makes, the request's deadline
# field and its default in days, and what Bird reports once decided
WAITS = {
    "brand": (Step.AWAIT_BRAND, BRAND_ID, "get_brand", "brand_days", 30, "APPROVED"),
    "vetting": (Step.VETTING, VETTING_ID, "get_vetting", "vetting_days", 30, "APPROVED"),
    "campaign": (Step.AWAIT_CAMPAIGN, CAMPAIGN_ID, "get_campaign", "campaign_days", 45, "APPROVED"),
    "connector": (Step.AWAIT_READY, CONNECTOR_ID, "get_connector", "readiness_days", 3, "ok"),
}
WAIT_NAMES = {"brand": "brand approval", "vetting": "vetting", "campaign": "campaign approval", "connector": "readiness"}


def bird_slow_on(kind: str, after: timedelta) -> FakeBird:
    """Everything is decided within the hour, except `kind`, decided `after` its creation."""
    bird = FakeBird()
    for other, (*_, verdict) in WAITS.items():
        bird.decide(other, verdict, after=after if other == kind else timedelta(hours=1))
    return bird


@pytest.mark.parametrize("override", [False, True], ids=["default", "from-the-request"])
@pytest.mark.parametrize("kind", list(WAITS))
async def test_each_wait_runs_out_into_needs_action_after_one_last_look(ts_env, kind, override):
    step, object_id, get, field, default_days, _ = WAITS[kind]
    days = 2 if override else default_days
    changes = {"deadlines": {field: days}} if override else {}
    bird = bird_slow_on(kind, timedelta(days=400))
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input(poll=RARE_POLLS, **changes), queue)
        await ts_env.sleep(timedelta(days=1))
        waiting = await status(handle)
        assert waiting.step == step and waiting.waiting is not None
        assert waiting.waiting.deadline_at == waiting.waiting.since + timedelta(days=days)
        looks = bird.calls[get]
        await ts_env.sleep(timedelta(days=days + 1))
        blocked = await status(handle)
        await handle.terminate("test over")

    assert blocked.step == Step.NEEDS_ACTION and blocked.waiting is None
    b = blocked.blocked
    assert (b.step, b.kind, b.object_id, b.deadline_at) == (step, kind, object_id, waiting.waiting.deadline_at)
    assert f"the {WAIT_NAMES[kind]} wait ran out" in b.reason and f"after {days:g} days" in b.reason
    assert bird.calls[get] == looks + 1  # the one last look
    assert [r.outcome for r in blocked.steps if r.step == step] == ["blocked"]


@pytest.mark.parametrize("kind", list(WAITS))
async def test_a_wait_that_ran_out_is_extended_and_the_onboarding_reaches_done(ts_env, kind):
    step, object_id, *_ = WAITS[kind]
    bird = bird_slow_on(kind, timedelta(days=10))
    input = make_input(poll=RARE_POLLS, deadlines={WAITS[kind][3]: 2})
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, input, queue)
        await ts_env.sleep(timedelta(days=4))
        assert (await status(handle)).blocked.deadline_at is not None
        cause = await refusal(handle, OnboardingWorkflow.extend_deadline, ExtendDeadline(days=0))
        assert "more than 0" in cause.message
        done = await handle.execute_update(OnboardingWorkflow.extend_deadline, ExtendDeadline(days=30))
        resumed = await status(handle)
        result = await handle.result()
        if kind == "brand":
            await record_history(handle, "brand-deadline-extended")
        final = await status(handle)

    assert (done.action, done.step, done.object_id) == ("extend_deadline", step, object_id)
    assert done.deadline_at == resumed.waiting.deadline_at
    assert resumed.step == step and resumed.blocked is None
    assert resumed.waiting.deadline_at - resumed.waiting.since == timedelta(days=30)
    assert result.step == Step.DONE
    assert [r.outcome for r in final.steps if r.step == step] == ["blocked", "done"]
    assert [a.action for a in final.actions] == ["extend_deadline"]


async def test_a_campaign_wait_that_ran_out_is_not_resubmitted_but_can_be_cancelled(ts_env):
    bird = bird_slow_on("campaign", timedelta(days=400))
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input(poll=RARE_POLLS), queue)
        await ts_env.sleep(timedelta(days=47))
        assert (await status(handle)).blocked.status == "PENDING"
        pending = await refusal(handle, OnboardingWorkflow.resubmit_campaign, ResubmitCampaign(confirm_new_fee=True))
        brand = await refusal(handle, OnboardingWorkflow.resubmit_brand, ResubmitBrand())
        done = await handle.execute_update(OnboardingWorkflow.cancel, CancelOnboarding(reason="the registry never answered"))
        result = await handle.result()
        await record_history(handle, "campaign-deadline-cancelled")

    assert "PENDING" in pending.message and "extend the wait" in pending.message
    assert "no brand to resubmit" in brand.message
    assert done.step == result.step == Step.CANCELLED
    assert {b.kind for b in done.still_billed} == {"number", "brand", "vetting", "campaign"}


async def test_extend_is_refused_when_no_wait_ran_out(ts_env):
    bird = FakeBird()
    bird.decide("brand", "REJECTED", after=timedelta(hours=1), reason="no")
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, make_input(poll=RARE_POLLS), queue)
        await ts_env.sleep(timedelta(days=1))
        rejected = await refusal(handle, OnboardingWorkflow.extend_deadline, ExtendDeadline(days=5))
        await handle.terminate("test over")

    assert "no wait ran out" in rejected.message and "REJECTED" in rejected.message


async def test_a_decision_the_last_look_finds_lets_the_onboarding_go_on(ts_env):
    # approved on day 2, but the next poll would be on day 10: the deadline's look on day 3 sees it
    bird = bird_slow_on("campaign", timedelta(days=2))
    input = make_input(
        "onboarding-no-vetting.json",
        poll=PollSettings(min_seconds=10 * 86400, max_seconds=10 * 86400),
        deadlines={"campaign_days": 3},
    )
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        handle = await start(ts_env.client, input, queue)
        result = await handle.result()
        final = await status(handle)

    assert result.step == Step.DONE and final.blocked is None
    assert bird.calls["poll_campaign"] == 0 and bird.calls["get_campaign"] == 1
    waited = next(r for r in final.steps if r.step == Step.AWAIT_CAMPAIGN)
    assert waited.outcome == "done" and timedelta(days=3) <= waited.ended_at - waited.started_at < timedelta(days=4)
