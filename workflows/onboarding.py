"""The onboarding workflow: its run and its eight steps, in order. How it creates, waits, blocks,
records and serves a person's Updates lives in steps.py, waits.py, blocking.py, recording.py and
actions.py."""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notify import CANCELLED, DONE
    from workflows.action_plans import mark_cancelled, still_billed
    from workflows.actions import Actions
    from workflows.blocking import NeedsAction
    from workflows.contract import BirdEvent, Step
    from workflows.features import GETS_WIN_PATCH, OPERATOR_PATCH, uses
    from workflows.inputs import OnboardingInput, OnboardingResult
    from workflows.kinds import Kind
    from workflows.memo import Recorded
    from workflows.messages import (
        ActionResult,
        CancelOnboarding,
        ExtendDeadline,
        ResubmitBrand,
        ResubmitCampaign,
        RetryStep,
    )
    from workflows.notify import Notifier
    from workflows.recording import Recorder
    from workflows.state import OnboardingState, OnboardingStatus
    from workflows.steps import Steps
    from workflows.waits import Verdicts, Waiter

# After this many polls a run continues as new even if the server has not suggested it yet: a
# 45-day campaign wait then spans a few runs of a few hundred events each.
MAX_POLLS_PER_RUN = 100


@workflow.defn
class OnboardingWorkflow:
    """One customer's US 10DLC registration, over the weeks approvals take:

        BUY_NUMBER → REGISTER_BRAND → AWAIT_BRAND → VETTING (optional) → CREATE_CAMPAIGN
        → AWAIT_CAMPAIGN → INSTALL_CONNECTOR → AWAIT_READY → DONE

    Every step is written against the state, not the position in the code, so that a run continued
    as new walks the same steps and skips what is already done. When Bird refuses something the
    onboarding stops in NEEDS_ACTION with Bird's words in the status; `blocked` is the one thing a
    person's action clears.
    """

    @workflow.init
    def __init__(self, input: OnboardingInput) -> None:
        self._input = input
        self.state = input.state or OnboardingState(
            onboarding_id=input.onboarding_id,
            started_at=workflow.now(),
            updated_at=workflow.now(),
            warnings=list(input.warnings),
            generation=input.generation,
        )
        self._record = Recorder(self.state)
        self._notifier = Notifier(self.state)
        self._needs_action = NeedsAction(
            self.state, self._record, self._checkpoint_due, self._continue_as_new, self._notifier.send
        )
        self._waiter = Waiter(input.poll, self._checkpoint_due, self._continue_as_new, self._record.show)
        # Bird activities go to their own task queue when the input names one (workflows/options.py)
        self._needs_action.bird_task_queue = self._waiter.bird_task_queue = input.bird_task_queue
        self._waiter.generation = self.state.generation
        self._verdicts = Verdicts(self.state, input, self._record, self._needs_action, self._waiter)
        self._actions = Actions(self.state, input, self._record, self._needs_action, self._notifier)
        self._steps = Steps(self.state, input, self._record, self._needs_action)

    @workflow.run
    async def run(self, input: OnboardingInput) -> OnboardingResult:
        # The steps run as a task of their own, so that a person's `cancel` can stop them wherever
        # they are waiting.
        self._actions.steps = asyncio.create_task(self._onboard())
        try:
            await self._actions.steps
        except asyncio.CancelledError:
            if self._actions.cancelling is None:
                # Temporal's own cancellation (the UI's button, `temporal workflow cancel`): ended
                # as a person's `cancel` ends it, so nothing billed goes unreported.
                if not uses(self.state.generation, OPERATOR_PATCH):
                    raise
                await self._cancelled_by_temporal()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._notifier.settle()
        result = OnboardingResult.from_state(self.state)
        if self.state.step == Step.CANCELLED:
            result.still_billed = still_billed(self.state.charges)
        self._record.settle()
        self._steps.settle()
        return result

    async def _cancelled_by_temporal(self) -> None:
        reason = "cancelled in Temporal (workflow cancellation request)"
        self._actions.cancelling = reason
        self._needs_action.creates.closed = True
        mark_cancelled(self.state, reason, workflow.now())
        self._record.index()
        await self._notifier.send_at_end(CANCELLED)

    async def _onboard(self) -> None:
        self._gets_win()
        self._steps.begin()
        self._record.index()
        self._steps.remember()
        await self._steps.buy_number()
        if self._input.campaign_id:
            self._steps.use_existing_campaign(self._input.campaign_id)
        else:
            await self._steps.register_brand()
            await self._verdicts.await_verdict(Kind.BRAND)
            if self._input.vetting is not None:
                await self._steps.vet_brand()
                await self._verdicts.await_verdict(Kind.VETTING)
            else:
                self.state.skip(Step.VETTING, workflow.now(), "no vetting requested")
            await self._steps.create_campaign()
            await self._verdicts.await_verdict(Kind.CAMPAIGN)
        await self._steps.install_connector()
        await self._verdicts.await_verdict(Kind.CONNECTOR)  # carriers linked the number: ready
        self._record.ready()
        self._record.enter(Step.DONE)
        self._record.finish(Step.DONE)
        await self._notifier.send_at_end(DONE)

    # -- what the outside world sees ------------------------------------------------------------

    @workflow.signal
    def bird_event(self, event: BirdEvent) -> None:
        """A verified Bird event from the relay: recorded only; the waiting step wakes on it.

        Whatever an event holds, this handler does not raise: an exception here would fail this
        workflow task and every replay of it, wedging the onboarding. What it cannot use is dropped
        and counted in the status (`events_dropped`, `last_drop_reason`)."""
        self._gets_win()
        try:
            changed = self.state.record_event(event, workflow.now())
        except Exception as exc:  # noqa: BLE001 - see above; record_event reads only the event
            self.state.drop_event(f"{type(exc).__name__}: {exc}")
            return
        if changed:
            self._record.index()  # a channel event can teach us the channel id

    def _gets_win(self) -> None:
        """Whether this onboarding runs with `GETS_WIN_PATCH`: decided at its first workflow task
        (the signal handler may run first) and kept in the state across continue-as-new."""
        if not self.state.gets_win and uses(self.state.generation, GETS_WIN_PATCH):
            self.state.gets_win = True

    @workflow.query
    def status(self) -> OnboardingStatus:
        return self.state.status(workflow.info().get_current_history_length())

    @workflow.query
    def recorded(self) -> Recorded:
        """What this run has recorded (workflows/memo.py): read by `tendlc start` from the latest
        earlier run, closed too (Temporal replays its history on a worker to answer), so that a new
        run of the same id buys nothing twice."""
        return Recorded.for_new_run(self.state)

    # -- a person's actions (Updates: checks in workflows/action_plans.py, bodies in actions.py) ---

    @workflow.update
    async def resubmit_campaign(self, req: ResubmitCampaign) -> ActionResult:
        """Correct the campaign Bird refused: a DECLINED one is resubmitted (PATCH); any other needs
        a new campaign, created only with `confirm_new_fee`; a create Bird refused is tried again."""
        result = await self._actions.resubmit_campaign(req)
        self._steps.remember()  # a new campaign is a new id and charge
        return result

    @resubmit_campaign.validator
    def _resubmit_campaign_fits(self, req: ResubmitCampaign) -> None:
        self._actions.validate_resubmit_campaign(req)

    @workflow.update
    async def resubmit_brand(self, req: ResubmitBrand) -> ActionResult:
        """Correct a FAILED or REJECTED brand and send it to TCR again ("Update a brand"); a
        registration Bird refused is tried again with the corrected body."""
        return await self._actions.resubmit_brand(req)

    @resubmit_brand.validator
    def _resubmit_brand_fits(self, req: ResubmitBrand) -> None:
        self._actions.validate_resubmit_brand(req)

    @workflow.update
    async def cancel(self, req: CancelOnboarding) -> ActionResult:
        """Stop wherever the onboarding is (waiting, parked in NEEDS_ACTION, between steps) and end
        CANCELLED, listing what stays billed. A billable create in flight is let finish first, so
        that what it bought is known and listed; no new one starts."""
        return await self._actions.cancel(req)

    @cancel.validator
    def _cancel_fits(self, req: CancelOnboarding) -> None:
        self._actions.validate_cancel(req)

    @workflow.update
    async def extend_deadline(self, req: ExtendDeadline) -> ActionResult:
        """Wait longer for the decision whose wait ran out: the same wait resumes, polling from its
        shortest interval again, with a deadline `days` from now."""
        return await self._actions.extend_deadline(req)

    @extend_deadline.validator
    def _extend_deadline_fits(self, req: ExtendDeadline) -> None:
        self._actions.validate_extend_deadline(req)

    @workflow.update
    async def retry(self, req: RetryStep) -> ActionResult:
        """Try the step that stopped in NEEDS_ACTION again, with optional corrections: another
        number prefix, a new vetting (`confirm_new_fee`) or corrected fields, corrected connector
        fields; a create Bird refused is simply sent again."""
        return await self._actions.retry(req)

    @retry.validator
    def _retry_fits(self, req: RetryStep) -> None:
        self._actions.validate_retry(req)

    # -- continue-as-new --------------------------------------------------------------------------

    def _checkpoint_due(self) -> bool:
        return workflow.info().is_continue_as_new_suggested() or self._waiter.polls_this_run >= MAX_POLLS_PER_RUN

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._notifier.settle()  # a notification in flight would be lost with this run
        self.state.run += 1
        self._record.settle()
        self._steps.settle()
        memo = self._steps.carried_memo()  # since generation 4 none: the state travels in the input
        workflow.continue_as_new(self._input.model_copy(update={"state": self.state}), memo=memo)
