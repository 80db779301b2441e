"""What a person's Updates carry and answer (`resubmit_campaign`, `resubmit_brand`, `cancel`,
`extend_deadline`, `retry`): the wire models the CLI builds and reads, apart from the code that acts on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class NumberCorrection(BaseModel):
    """Another prefix to choose the number from (`null`: any prefix)."""

    # Bird accepts bare area-code digits ("415") or an E.164 prefix ("+1415"), as in a request
    prefix: str | None = Field(default=None, min_length=1, max_length=250)


class ConnectorCorrection(BaseModel):
    """Connector fields to change; unset ones stay as they were."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    name: str | None = Field(default=None, min_length=1)
    channel_message_type: str | None = Field(default=None, min_length=1, alias="channelMessageType")


class Corrections(BaseModel):
    """What to change before the stopped step is tried again; each part fits one step."""

    number: NumberCorrection | None = None
    vetting: dict[str, Any] | None = None  # Bird's vettings create fields (camelCase), merged into the body
    connector: ConnectorCorrection | None = None


class RetryStep(BaseModel):
    """`retry`: try the step that stopped in NEEDS_ACTION again, with optional corrections. A new
    vetting in place of a rejected or expired one is billed again: `confirm_new_fee`."""

    corrections: Corrections = Field(default_factory=Corrections)
    confirm_new_fee: bool = False

    @model_validator(mode="before")
    @classmethod
    def _fee_consent_anywhere(cls, data: Any) -> Any:
        # A corrections file may carry the consent itself: {"vetting": {...}, "confirm_new_fee": true}.
        if isinstance(data, dict) and isinstance(data.get("corrections"), dict) and "confirm_new_fee" in data["corrections"]:
            corrections = dict(data["corrections"])
            consent = bool(corrections.pop("confirm_new_fee"))
            return {**data, "corrections": corrections, "confirm_new_fee": bool(data.get("confirm_new_fee")) or consent}
        return data


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
