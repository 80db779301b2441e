"""What a run has recorded, for a new run of the same onboarding id (after the earlier one was
terminated or failed) to start from instead of buying everything again.

`Recorded` holds the ids held, the chosen stock item, when each billable create was first scheduled,
and the charges. `tendlc start` reads it from the latest earlier run and passes it as
`OnboardingInput.prior`; docs/architecture.md documents the format.

Where the starter finds it:
- since generation 4 (`recorded-by-query`, workflows/features.py): nowhere in history. The workflow's
  `recorded` query answers `for_new_run(state)`; Temporal answers a query on a closed run by
  replaying its history on a worker, so a worker must be running when the starter asks. The state
  travels in the continue-as-new input, so the latest run alone has everything. No memo write: about
  8 history events (and visibility tasks) fewer per onboarding.
- before generation 4: the run's memo, key `recorded` (`MEMO_KEY`), upserted only when it changes,
  at most once per workflow task, and carried across continue-as-new. Those runs keep writing it to
  their end (their histories replay, and a starter trusts what it finds there).

What a new run needs, create by create (the memo was written at these moments, so the query answers
the same thing):
- that the create was scheduled, and when, written in the task that schedules it (the task's
  commands are committed together, so the create never runs unannounced): the new run then lists
  before creating, and adopts only an object created since that moment (activities/base.py,
  `Ownership`), never buying a second one;
- the id and charge once the create returned, for the objects a listing might not find again: the
  number (bought by stock item; its price is in the charge), the brand, vetting and campaign (a
  person's correction can change the content a listing matches on). That write usually shares the
  task of the next create's schedule.
- Not the connector's id (`LISTED`): its name and number never change, so a new run's listing since
  its first schedule finds exactly it (charged as matched, not as the earlier run's), and the
  onboarding's last create cost one memo write instead of two (since `memo-connector-listed`). The
  query leaves it out too, so a new run starts the same way from either source.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from workflows.kinds import Kind
    from workflows.state import OnboardingState

MEMO_KEY = "recorded"
# Found again by a new run's listing rather than adopted: the connector (its name and number never
# change) and the channel that belongs to it.
LISTED = frozenset({Kind.CONNECTOR, Kind.CHANNEL})


class RecordedCharge(BaseModel):
    kind: Kind
    object_id: str
    amount: float | None = None
    currency: str | None = None


class Recorded(BaseModel):
    """The memo's `recorded` value (format version 1)."""

    v: int = 1
    ids: dict[Kind, str] = Field(default_factory=dict)  # number, brand, vetting, campaign, connector, channel
    number_string: str | None = None
    stock_item_id: str | None = None  # chosen, maybe not bought yet: a new run looks for it first
    scheduled: dict[Kind, datetime] = Field(default_factory=dict)  # each create's first schedule
    charges: list[RecordedCharge] = Field(default_factory=list)

    @classmethod
    def of(cls, state: OnboardingState) -> Recorded:
        o = state.objects
        return cls(
            ids={kind: o.get(kind).id for kind in Kind if o.get(kind).id},  # type: ignore[misc]
            number_string=o.number.number_string,
            stock_item_id=o.number.stock_item_id,
            scheduled={Kind(k): at for k, at in state.scheduled.items()},
            charges=[
                RecordedCharge(kind=c.kind, object_id=c.object_id, amount=c.amount, currency=c.currency)
                for c in state.charges
            ],
        )

    @classmethod
    def for_new_run(cls, state: OnboardingState) -> Recorded:
        """What the `recorded` query answers: `of(state)` without what a new run finds again by
        listing (`LISTED`: the connector, and its channel), as the memo left it out since
        `memo-connector-listed`. A new run then starts the same way from a generation-3 memo or
        from the query: it lists the connector since the install's first schedule and charges it
        as found, once."""
        recorded = cls.of(state)
        recorded.ids = {kind: object_id for kind, object_id in recorded.ids.items() if kind not in LISTED}
        recorded.charges = [c for c in recorded.charges if c.kind not in LISTED]
        return recorded

    def empty(self) -> bool:
        return not (self.ids or self.stock_item_id or self.scheduled or self.charges)

    def memo(self) -> dict[str, Any]:
        return {MEMO_KEY: self.model_dump(mode="json", exclude_defaults=False)}

    def adopt_into(self, state: OnboardingState, now: datetime) -> None:
        """Start a fresh run's state from what the earlier run recorded: its ids are ours (the steps
        skip what is held), its charges are listed as the earlier run's, and a create it had
        scheduled is retried as a retry (listing first), never as a first attempt."""
        o = state.objects
        for kind, object_id in self.ids.items():
            tracked = o.get(kind)
            tracked.id, tracked.seen_at = object_id, now
        o.number.number_string = self.number_string
        o.number.stock_item_id = self.stock_item_id
        if o.number.id is not None:
            o.number.status = "owned"
        state.scheduled.update({kind.value: at for kind, at in self.scheduled.items()})
        for c in self.charges:
            state.charge(c.kind, c.object_id, now, earlier_run=True, amount=c.amount, currency=c.currency)
            if c.kind == Kind.NUMBER:
                o.number.monthly_price, o.number.currency = c.amount, c.currency
