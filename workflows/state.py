"""What one onboarding knows (its objects, wait, charges, steps), carried whole across continue-as-new;
the `status` query is built from it. Plain pydantic, so its rules are unit-testable."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from bird.events import ObjectKind, describe_event, event_problem, event_time
    from bird.statuses import DRAFT, IN_PROGRESS
    from workflows.contract import BirdEvent, Step
    from workflows.kinds import Kind, fee_of

# The workflow passes in `workflow.now()` wherever a time is recorded. Every field has a default so
# that histories written by older code still decode.

# How many delivery ids to remember for dedupe. Bird repeats a delivery for about a day; a few
# hundred covers any realistic burst, and bounds what continue-as-new carries.
SEEN_DELIVERIES_KEPT = 256
# Events about objects whose id we do not hold yet: Bird can announce an object before the create
# call that made it has returned to us. Kept (as small refs) until the id is recorded.
EARLY_EVENTS_KEPT = 32


def _rank(status: str | None) -> int:
    if status is None:
        return -1
    if status in IN_PROGRESS:
        return 0 if status == DRAFT else 1
    return 2  # decided: APPROVED, REJECTED, DECLINED, active, ...


def supersedes(old: str | None, old_at: datetime | None, new: str, new_at: datetime | None) -> bool:
    """Whether `new` (seen at Bird time `new_at`) replaces what we hold.

    Bird's `updatedAt` orders observations when both sides have one; otherwise a status never goes
    back from decided to in-progress, so a late PENDING after an APPROVED changes nothing.
    """
    if old is None:
        return True
    if old_at is not None and new_at is not None and old_at != new_at:
        return new_at > old_at
    return _rank(new) >= _rank(old)


class Tracked(BaseModel):
    """One Bird object: its id the moment we have it, its last known status and why."""

    id: str | None = None
    status: str | None = None
    status_at: datetime | None = None  # Bird's updatedAt for `status`, when Bird gave one
    reason: str | None = None  # Bird's rejection reason (read with a GET: events never carry it)
    seen_at: datetime | None = None  # when we last learned something about it (workflow time)
    # `status` came from an event that no answer of Bird's has confirmed since (see `observe`)
    from_event: bool = False

    def observe(
        self, status: str | None, at: datetime | None, now: datetime, *, answer: bool = False, gets_win: bool = False
    ) -> bool:
        """Record a status from Bird's `answer` (a poll, a GET, a create) or from an event, unless
        it is older than what we hold.

        With `gets_win` (onboardings started since the `bird-get-wins` patch), Bird's answer is the
        truth about the present and always replaces what we hold: an event says what was true
        when it was sent, and a wrong or future-dated one must not outlast the next GET.
        """
        if not status:
            return False
        if not (gets_win and answer) and not supersedes(self.status, self.status_at, status, at):
            return False
        self.status = status
        self.status_at = at if gets_win and answer else at or self.status_at
        self.seen_at = now
        self.from_event = gets_win and not answer
        return True


class NumberObject(Tracked):
    number_string: str | None = None
    stock_item_id: str | None = None  # chosen before buying, so a retried purchase buys the same number
    monthly_price: float | None = None  # the stock item's price, as Bird quoted it
    currency: str | None = None


class Waiting(BaseModel):
    """The wait in progress: for what, since when, and how far the fallback polling has backed off."""

    step: Step
    kind: Kind
    object_id: str
    what: str
    since: datetime
    polls: int = 0  # polls made so far (across runs); the backoff continues from here
    next_poll_at: datetime | None = None
    last_polled_status: str | None = None
    deadline_at: datetime | None = None


class BilledItem(BaseModel):
    """An object Bird bills for, and its fee (`workflows.kinds`: what each kind costs)."""

    kind: Kind
    object_id: str
    fee: str
    recurring: bool = False
    amount: float | None = None
    currency: str | None = None


class Charge(BilledItem):
    """A fee Bird bills for an object this onboarding holds."""

    at: datetime
    # Found by list-and-match rather than created by the call that returned it: an earlier attempt
    # of this onboarding created it, and Bird billed it then.
    matched_existing: bool = False
    # Recorded by an earlier run of the same onboarding id (terminated or failed, then started
    # again): this run adopted the object rather than buying it again (workflows/memo.py).
    earlier_run: bool = False


class ErrorInfo(BaseModel):
    """A Bird call that cannot succeed as it stands, with Bird's own words."""

    step: Step
    operation: str
    type: str
    message: str
    status: int | None = None
    code: str | None = None
    field_errors: dict[str, list[str]] = Field(default_factory=dict)
    at: datetime


class Blocker(BaseModel):
    """Why the onboarding is in NEEDS_ACTION: the step it cannot leave, and what a person can do."""

    step: Step
    kind: Kind | None = None
    object_id: str | None = None
    status: str | None = None
    reason: str
    since: datetime
    deadline_at: datetime | None = None  # set when the wait ran out, rather than Bird refusing
    field: str | None = None  # the request field a person changes to go on (e.g. number.prefix)
    notified: bool = False  # a person was told (TENDLC_NOTIFY_URL), once per stop


class OperatorAction(BaseModel):
    """What a person did through an Update (workflows/actions.py), kept in the status history."""

    action: str  # resubmit_campaign, resubmit_brand, cancel, extend_deadline, retry
    at: datetime
    step: Step  # where the onboarding went on from
    kind: Kind | None = None
    object_id: str | None = None
    replaced_id: str | None = None  # a new campaign: the one it replaces (still billed)
    note: str = ""


class StepRecord(BaseModel):
    step: Step
    started_at: datetime
    ended_at: datetime | None = None
    outcome: str | None = None  # done, skipped, blocked
    note: str = ""


class PreflightWarning(BaseModel):
    """A pre-flight warning the starter accepted, or an error the operator overrode (`accepted`,
    from `tendlc start --accept RULE`); kept so the status shows it, never hidden."""

    rule_id: str
    field: str = ""
    message: str
    accepted: bool = False


class Objects(BaseModel):
    number: NumberObject = Field(default_factory=NumberObject)
    brand: Tracked = Field(default_factory=Tracked)
    vetting: Tracked = Field(default_factory=Tracked)
    campaign: Tracked = Field(default_factory=Tracked)
    connector: Tracked = Field(default_factory=Tracked)  # status: the useCaseStatus check
    channel: Tracked = Field(default_factory=Tracked)

    def get(self, kind: Kind | str) -> Tracked:
        return getattr(self, Kind(kind).value)


class OnboardingStatus(BaseModel):
    """The `status` query's answer: everything a person needs to see where an onboarding stands."""

    onboarding_id: str
    step: Step = Step.BUY_NUMBER
    started_at: datetime | None = None
    updated_at: datetime | None = None
    objects: Objects = Field(default_factory=Objects)
    waiting: Waiting | None = None
    blocked: Blocker | None = None
    charges: list[Charge] = Field(default_factory=list)
    last_error: ErrorInfo | None = None
    steps: list[StepRecord] = Field(default_factory=list)
    warnings: list[PreflightWarning] = Field(default_factory=list)
    actions: list[OperatorAction] = Field(default_factory=list)
    events_received: int = 0
    events_applied: int = 0
    # Events the workflow could not use (a field of the wrong type, say) are dropped, not raised:
    # one odd delivery must not fail every workflow task after it.
    events_dropped: int = 0
    last_drop_reason: str | None = None
    last_event_at: datetime | None = None
    run: int = 1  # 1 + how many times the workflow continued as new
    history_length: int | None = None  # events in the current run's history, at query time


class EarlyEvent(BaseModel):
    kind: ObjectKind
    object_id: str
    status: str
    connector_id: str | None = None
    at: datetime | None = None


class OnboardingState(OnboardingStatus):
    """The status plus the bookkeeping only the workflow needs."""

    seen_deliveries: list[str] = Field(default_factory=list)
    early_events: list[EarlyEvent] = Field(default_factory=list)
    # Set once the onboarding runs with the `bird-get-wins` patch (workflows/onboarding.py): Bird's
    # answers replace events, events dated in the future count as now, and an approval only an
    # event announced is confirmed with a GET before the billable step after it.
    gets_win: bool = False
    # When each billable create (by kind) was first scheduled: a retried create adopts only what
    # was created after it (activities.base.Ownership), however many runs later it is retried.
    scheduled: dict[str, datetime] = Field(default_factory=dict)
    # Stock items found sold when this onboarding tried to buy them: never chosen again.
    sold_stock_items: list[str] = Field(default_factory=list)
    notifications: int = 0  # notifications started so far: numbers each one's webhook-id
    # The code generation the onboarding was started with (`OnboardingInput.generation`, kept across
    # continue-as-new): which behaviour changes it takes without a patch marker (workflows/features.py).
    generation: int = 0

    def status(self, history_length: int | None = None) -> OnboardingStatus:
        data = self.model_dump(
            exclude={
                "seen_deliveries",
                "early_events",
                "gets_win",
                "scheduled",
                "sold_stock_items",
                "notifications",
                "generation",
            }
        )
        return OnboardingStatus.model_validate({**data, "history_length": history_length})

    # -- steps --------------------------------------------------------------------------------

    def enter(self, step: Step, now: datetime) -> None:
        """Make `step` current; re-entering the step already open (after continue-as-new) is a no-op."""
        self.step = step
        self.updated_at = now
        current = self.steps[-1] if self.steps else None
        if current is None or current.step != step or current.ended_at is not None:
            self.steps.append(StepRecord(step=step, started_at=now))

    def finish(self, step: Step, now: datetime, outcome: str = "done", note: str = "") -> None:
        """Close the step's open record; a step that never had to wait (an object approved at once)
        gets an instant one, so the timeline lists every step."""
        for record in reversed(self.steps):
            if record.step == step:
                if record.ended_at is None:
                    record.ended_at, record.outcome, record.note = now, outcome, note or record.note
                break
        else:
            self.steps.append(StepRecord(step=step, started_at=now, ended_at=now, outcome=outcome, note=note))
        self.updated_at = now

    def skip(self, step: Step, now: datetime, note: str) -> None:
        """Record a step the request made unnecessary (once, however often the run passes here)."""
        if not any(record.step == step for record in self.steps):
            self.steps.append(StepRecord(step=step, started_at=now, ended_at=now, outcome="skipped", note=note))
            self.updated_at = now

    def block(self, blocker: Blocker, error: ErrorInfo | None = None) -> None:
        """Stop at `blocker.step` until a person acts; the step's record says why."""
        self.blocked = blocker
        self.waiting = None
        if error is not None:
            self.last_error = error
        self.finish(blocker.step, blocker.since, outcome="blocked", note=blocker.reason)
        self.step = Step.NEEDS_ACTION
        self.updated_at = blocker.since

    # -- charges ------------------------------------------------------------------------------

    def charge(
        self,
        kind: Kind,
        object_id: str,
        now: datetime,
        *,
        matched_existing: bool = False,
        earlier_run: bool = False,
        amount: float | None = None,
        currency: str | None = None,
    ) -> None:
        """Record the fee for an object once, however often the step runs."""
        if any(c.kind == kind and c.object_id == object_id for c in self.charges):
            return
        fee = fee_of(kind)
        self.charges.append(
            Charge(
                kind=kind,
                object_id=object_id,
                fee=fee.name,
                recurring=fee.recurring,
                amount=amount,
                currency=currency,
                at=now,
                matched_existing=matched_existing,
                earlier_run=earlier_run,
            )
        )

    # -- events -------------------------------------------------------------------------------

    def record_event(self, event: BirdEvent, now: datetime) -> bool:
        """Apply one `bird_event`: duplicates, strangers' objects and stale statuses change nothing.

        Returns whether anything we hold changed.
        """
        self.events_received += 1
        if event.delivery_id:
            if event.delivery_id in self.seen_deliveries:
                return False
            self.seen_deliveries = [*self.seen_deliveries, event.delivery_id][-SEEN_DELIVERIES_KEPT:]
        problem = event_problem(event.service, event.event, event.payload)
        if problem is not None:
            self.drop_event(problem)
            return False
        ref = describe_event(event.service, event.event, event.payload)
        if ref is None:
            return False
        at = event_time(event.payload)
        if self.gets_win and at is not None and at > now:
            at = now  # a time in the future counts as now: it must not outrank what comes later
        early = EarlyEvent(
            kind=ref.kind,
            object_id=ref.object_id,
            status=ref.status,
            connector_id=ref.connector_id,
            at=at,
        )
        if self._apply(early, now):
            return True
        if self._target_of(early.kind, early.object_id, early.connector_id, learn=False) is None:
            self.early_events = [*self.early_events, early][-EARLY_EVENTS_KEPT:]
        return False

    def drop_event(self, reason: str) -> None:
        """Count an event the workflow cannot use, and say why in the status."""
        self.events_dropped += 1
        self.last_drop_reason = reason[:300]

    def apply_early_events(self, now: datetime) -> bool:
        """Apply the kept events that concern an object whose id is now known."""
        changed = False
        keep: list[EarlyEvent] = []
        for early in self.early_events:
            if self._target_of(early.kind, early.object_id, early.connector_id, learn=False) is None:
                keep.append(early)
            else:
                changed = self._apply(early, now) or changed
        self.early_events = keep
        return changed

    def _apply(self, early: EarlyEvent, now: datetime) -> bool:
        target = self._target_of(early.kind, early.object_id, early.connector_id)
        if target is None or not target.observe(early.status, early.at, now, gets_win=self.gets_win):
            return False
        self.events_applied += 1
        self.last_event_at = now
        self.updated_at = now
        return True

    def _target_of(
        self, kind: ObjectKind, object_id: str, connector_id: str | None, *, learn: bool = True
    ) -> Tracked | None:
        objects = self.objects
        if kind == ObjectKind.CHANNEL:
            if objects.channel.id is not None:
                return objects.channel if object_id == objects.channel.id else None
            # The channel's id is learned from the connector; an event naming our connector teaches it.
            if connector_id is not None and connector_id == objects.connector.id:
                if learn:
                    objects.channel.id = object_id
                return objects.channel
            return None
        tracked = objects.get(Kind(kind.value))
        return tracked if tracked.id is not None and tracked.id == object_id else None
