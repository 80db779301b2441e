"""What a person's Updates carry and answer (`resubmit_campaign`, `resubmit_brand`, `cancel`,
`extend_deadline`): the wire models the CLI builds and reads, apart from the code that acts on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from workflows.contract import Step
    from workflows.state import BilledItem


class ResubmitCampaign(BaseModel):
    """`resubmit_campaign`: Bird's campaign fields to change (camelCase), and, for a campaign that
    cannot be resubmitted (anything but DECLINED), the caller's consent to pay for a new one."""

    changes: dict[str, Any] = Field(default_factory=dict)
    confirm_new_fee: bool = False


class ResubmitBrand(BaseModel):
    """`resubmit_brand`: Bird's brand fields to change (camelCase)."""

    changes: dict[str, Any] = Field(default_factory=dict)


class CancelOnboarding(BaseModel):
    """`cancel`: why; kept in the status history."""

    reason: str = ""


class ExtendDeadline(BaseModel):
    """`extend_deadline`: wait this many more days, from now, for the decision whose wait ran out."""

    days: float = 0


class StillBilled(BilledItem):
    """A billed object the onboarding leaves behind, and what a person can do about it."""

    release: str


class ActionResult(BaseModel):
    """What an accepted Update did, and the step the onboarding is at now."""

    action: str
    done: str
    step: Step
    object_id: str | None = None
    replaced_id: str | None = None
    deadline_at: datetime | None = None
    still_billed: list[StillBilled] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
