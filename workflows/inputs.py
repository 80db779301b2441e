"""The workflow's argument and result. `OnboardingInput` lives in history for weeks, so it is
tolerant: Bird bodies travel as plain JSON, never as the strict request models."""

from __future__ import annotations

import math
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field, field_validator

    from workflows.contract import Step
    from workflows.kinds import Kind, default_deadline_days
    from workflows.memo import Recorded
    from workflows.messages import StillBilled
    from workflows.state import Charge, OnboardingState, PreflightWarning

# TENDLC_POLL_MIN_SECONDS and TENDLC_POLL_MAX_SECONDS when unset: a minute, then up to six hours.
DEFAULT_POLL_MIN_SECONDS = 60.0
DEFAULT_POLL_MAX_SECONDS = 21600.0

# Every number that becomes a duration has a ceiling: a wait of `inf` or 1e9 days cannot be a timer
# (timedelta overflows) and would stop the onboarding at the step that needs it. The request and the
# settings refuse what is out of range (intake/request.py, runtime/settings.py); here, where an
# input already in history must still decode, an out-of-range number is clamped instead.
MAX_DEADLINE_DAYS = 365.0
# A year between polls is as good as none (tests turn polling off that way), and still a timer.
MAX_POLL_MIN_SECONDS = 365 * 86400.0
MAX_POLL_MAX_SECONDS = 365 * 86400.0


def clamped(value: float, default: float, ceiling: float) -> float:
    """`value` within (0, ceiling]: NaN or not positive -> `default`; over the ceiling (inf) -> `ceiling`."""
    if math.isnan(value) or value <= 0:
        return default
    return min(value, ceiling)


class PollSettings(BaseModel):
    """Fallback polling while awaiting an approval: exponential from `min_seconds` to `max_seconds`."""

    min_seconds: float = DEFAULT_POLL_MIN_SECONDS
    max_seconds: float = DEFAULT_POLL_MAX_SECONDS

    @field_validator("min_seconds", "max_seconds", mode="before")
    @classmethod
    def _unset(cls, value: Any, info: Any) -> Any:
        # Temporal's JSON has no Infinity or NaN: either was written as null.
        return cls.model_fields[info.field_name].default if value is None else value

    @field_validator("min_seconds", mode="after")
    @classmethod
    def _min_in_range(cls, value: float) -> float:
        return clamped(value, DEFAULT_POLL_MIN_SECONDS, MAX_POLL_MIN_SECONDS)

    @field_validator("max_seconds", mode="after")
    @classmethod
    def _max_in_range(cls, value: float) -> float:
        return clamped(value, DEFAULT_POLL_MAX_SECONDS, MAX_POLL_MAX_SECONDS)


class NumberPlan(BaseModel):
    phone_number_id: str | None = None  # set: the workspace already owns it, nothing is bought
    country_code: str = "US"
    prefix: str | None = None


class ConnectorPlan(BaseModel):
    name: str
    channel_message_type: str = "transactional"


class DeadlineDays(BaseModel):
    """How long each wait may take before a person is asked to look (request `deadlines`)."""

    brand: float = default_deadline_days(Kind.BRAND)
    vetting: float = default_deadline_days(Kind.VETTING)
    campaign: float = default_deadline_days(Kind.CAMPAIGN)
    readiness: float = default_deadline_days(Kind.CONNECTOR)

    @field_validator("brand", "vetting", "campaign", "readiness", mode="before")
    @classmethod
    def _unbounded(cls, value: Any) -> Any:
        # Temporal's JSON has no Infinity: a start with `inf` days wrote null into the input.
        return MAX_DEADLINE_DAYS if value is None else value

    @field_validator("brand", "vetting", "campaign", "readiness", mode="after")
    @classmethod
    def _in_range(cls, value: float, info: Any) -> float:
        default = cls.model_fields[info.field_name].default
        return clamped(value, default, MAX_DEADLINE_DAYS)


class OnboardingInput(BaseModel):
    onboarding_id: str
    workspace_id: str
    organization_id: str
    number: NumberPlan = Field(default_factory=NumberPlan)
    brand_id: str | None = None  # set: an already registered brand, nothing is created
    brand: dict[str, Any] | None = None  # Bird's tcr-brands create body, camelCase
    vetting: dict[str, Any] | None = None  # Bird's vettings create body; None: no vetting
    campaign: dict[str, Any] = Field(default_factory=dict)  # Bird's campaigns create body
    campaign_id: str | None = None  # set (with brand_id): an approved campaign the number joins
    connector: ConnectorPlan
    deadlines: DeadlineDays = Field(default_factory=DeadlineDays)
    poll: PollSettings = Field(default_factory=PollSettings)
    warnings: list[PreflightWarning] = Field(default_factory=list)
    # What the latest earlier run of this onboarding id recorded (its memo), read by `tendlc start`:
    # this run adopts those objects instead of buying them again.
    prior: Recorded | None = None
    # The task queue the Bird activities run on (`bird_task_queue_for(TENDLC_TASK_QUEUE)`, paced by
    # its rate limit); None, as in onboardings started before it existed: the workflow's own queue.
    bird_task_queue: str | None = None
    # The code generation of the starter (`workflows.features.GENERATION`, written by `tendlc start`):
    # the behaviour changes it had apply without patch markers. 0: started by code older than it.
    generation: int = 0
    # Set only when the workflow continues as new: everything the earlier runs learned.
    state: OnboardingState | None = None


class OnboardingResult(BaseModel):
    """What a finished onboarding hands back: the ids of everything it holds, and what it cost."""

    onboarding_id: str
    step: Step
    phone_number_id: str | None = None
    number_string: str | None = None
    brand_id: str | None = None
    vetting_id: str | None = None
    campaign_id: str | None = None
    connector_id: str | None = None
    channel_id: str | None = None
    charges: list[Charge] = Field(default_factory=list)
    still_billed: list[StillBilled] = Field(default_factory=list)  # CANCELLED: what a person may release

    @classmethod
    def from_state(cls, state: OnboardingState) -> OnboardingResult:
        o = state.objects
        return cls(
            onboarding_id=state.onboarding_id,
            step=state.step,
            phone_number_id=o.number.id,
            number_string=o.number.number_string,
            brand_id=o.brand.id,
            vetting_id=o.vetting.id,
            campaign_id=o.campaign.id,
            connector_id=o.connector.id,
            channel_id=o.channel.id,
            charges=list(state.charges),
        )
