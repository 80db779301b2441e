"""A person's actions on an onboarding, sent as Workflow Updates: `resubmit_campaign`,
`resubmit_brand`, `cancel` and `extend_deadline`. Their arguments and results, and the checks that
refuse what does not fit the onboarding's state.

The checks are plain functions of the state and the input, so the same code serves the validator
(which refuses before anything reaches history) and the handler, which runs them again under the
workflow's lock: an Update accepted a moment earlier may have changed the state since. Changes are
checked with the same models as a new request (`CampaignCreate`, `BrandCreate`) applied to the
body the onboarding was started with, so a correction can never produce a body a request could not
have had.

Bird's rules behind them (bird-docs/10dlc-events.txt, us-10dlc-installation-rendered.txt):
only a DECLINED campaign can be resubmitted (PATCH); every other campaign rejection needs a new
campaign, billed again (registration fee and a three-month minimum commitment); a brand is
corrected with "Update a brand", and resubmitting it "may" cost more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

from activities.base import IN_PROGRESS
from bird.models import BrandCreate, BrandPatch, CampaignCreate, CampaignPatch
from workflows.contract import TERMINAL_STEPS, Step
from workflows.inputs import OnboardingInput
from workflows.state import APPROVED, Charge, Kind, OnboardingState, OperatorAction, Tracked

T = TypeVar("T")

# The failure type of a refused Update (the validator's, or the handler's own re-check): the CLI
# exits 2 on it. Anything else an Update fails with is Bird refusing what the handler sent.
REFUSED = "UpdateRefused"
ACTION_FAILED = "ActionFailed"

DECLINED = "DECLINED"
# Statuses a brand can be corrected and sent again from ("Update a brand").
BRAND_RESUBMITTABLE = frozenset({"REJECTED", "FAILED"})
MAX_EXTENSION_DAYS = 365.0


# -- what crosses Temporal ------------------------------------------------------------------------


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


class StillBilled(BaseModel):
    """A billed object the onboarding leaves behind, and what a person can do about it."""

    kind: Kind
    object_id: str
    fee: str
    recurring: bool = False
    amount: float | None = None
    currency: str | None = None
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


# -- refusing ------------------------------------------------------------------------------------


def refused(summary: str, field_errors: dict[str, list[str]] | None = None) -> ApplicationError:
    """An Update that does not fit: the validator raises it, so the Update never reaches history.
    The message is the summary followed by every field error; the details carry both apart."""
    errors = field_errors or {}
    message = f"{summary}: {_join(errors)}" if errors else summary
    return ApplicationError(message, {"summary": summary, "field_errors": errors}, type=REFUSED, non_retryable=True)


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        name = ".".join(str(part) for part in err["loc"]) or "(changes)"
        errors.setdefault(name, []).append(err["msg"])
    return errors


def _check_open(state: OnboardingState, cancelling: bool) -> None:
    if state.step in TERMINAL_STEPS:
        raise refused(f"the onboarding has ended ({state.step.value})")
    if cancelling:
        raise refused("the onboarding is being cancelled")


def _describe_block(state: OnboardingState) -> str:
    blocker = state.blocked
    if blocker is None:
        return f"the onboarding is at {state.step.value} and waits for no one"
    return f"the onboarding waits on {blocker.step.value}: {blocker.reason}"


# -- campaign ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignPlan:
    """How a campaign correction is carried out.

    `patch`: resubmit the DECLINED campaign; `new`: create a new campaign in place of one Bird will
    not take back; `retry`: Bird refused the create itself, so nothing was billed and the step
    tries again with the corrected body.
    """

    how: Literal["patch", "new", "retry"]
    changes: dict[str, Any]  # the changed fields, as Bird's camelCase (what a PATCH sends)
    body: dict[str, Any]  # the whole corrected create body
    campaign_id: str | None = None


def corrected_body(
    original: dict[str, Any], changes: dict[str, Any], patch: type[BaseModel], create: type[BaseModel], what: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the changes in Bird's camelCase, the original body with them applied), each checked with
    the request models; `null` in the changes removes an optional field. Refuses, naming every
    field, what a new request could not contain."""
    try:
        checked = patch.model_validate(changes)
    except ValidationError as exc:
        errors = _field_errors(exc)
        raise refused(f"the changes are not valid {what} fields", errors) from None
    wire: dict[str, Any] = checked.to_wire()  # type: ignore[attr-defined]
    removed = {k for k, v in checked.model_dump(by_alias=True, exclude_unset=True).items() if v is None}
    body = {k: v for k, v in {**original, **wire}.items() if k not in removed}
    try:
        create.model_validate(body)
    except ValidationError as exc:
        errors = _field_errors(exc)
        raise refused(f"with these changes the {what} would be invalid", errors) from None
    return wire, body


def _join(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{name}: {', '.join(messages)}" for name, messages in errors.items())


def plan_campaign_resubmission(
    state: OnboardingState, input: OnboardingInput, req: ResubmitCampaign, *, cancelling: bool = False
) -> CampaignPlan:
    """What `resubmit_campaign` will do, or `refused(...)` saying why it cannot."""
    _check_open(state, cancelling)
    blocker, campaign = state.blocked, state.objects.campaign
    if blocker is not None and blocker.step == Step.CREATE_CAMPAIGN and campaign.id is None:
        wire, body = corrected_body(input.campaign, req.changes, CampaignPatch, CampaignCreate, "campaign")
        return CampaignPlan("retry", wire, body)
    if blocker is None or blocker.kind != Kind.CAMPAIGN:
        raise refused(f"no campaign to resubmit: {_describe_block(state)}")
    status = campaign.status
    if status is None or status in IN_PROGRESS or status == APPROVED:
        raise refused(
            f"campaign {campaign.id} is {status}: the registry has not refused it, so there is nothing to "
            "resubmit; extend the wait (extend_deadline) or cancel"
        )
    if status != DECLINED and not req.confirm_new_fee:
        raise refused(
            f"campaign {campaign.id} is {status}: Bird resubmits only DECLINED campaigns, so a correction means "
            "a new campaign, billed again (registration fee and a three-month minimum commitment); "
            "send confirm_new_fee to create it"
        )
    wire, body = corrected_body(input.campaign, req.changes, CampaignPatch, CampaignCreate, "campaign")
    return CampaignPlan("patch" if status == DECLINED else "new", wire, body, campaign.id)


def replaced_ids(state: OnboardingState, kind: Kind) -> list[str]:
    """Objects of `kind` this onboarding gave up for new ones (still billed, never to be matched)."""
    return [a.replaced_id for a in state.actions if a.kind == kind and a.replaced_id]


# -- brand ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrandPlan:
    """`update`: correct the REJECTED or FAILED brand and send it again; `retry`: Bird refused the
    create itself, so the step tries again with the corrected body."""

    how: Literal["update", "retry"]
    changes: dict[str, Any]
    body: dict[str, Any] | None  # None: a brand registered before this onboarding (no body to correct)
    brand_id: str | None = None


def plan_brand_resubmission(
    state: OnboardingState, input: OnboardingInput, req: ResubmitBrand, *, cancelling: bool = False
) -> BrandPlan:
    """What `resubmit_brand` will do, or `refused(...)` saying why it cannot."""
    _check_open(state, cancelling)
    blocker, brand = state.blocked, state.objects.brand
    if blocker is not None and blocker.step == Step.REGISTER_BRAND and brand.id is None and input.brand is not None:
        wire, body = corrected_body(input.brand, req.changes, BrandPatch, BrandCreate, "brand")
        return BrandPlan("retry", wire, body)
    if blocker is None or blocker.kind != Kind.BRAND:
        raise refused(f"no brand to resubmit: {_describe_block(state)}")
    if brand.status not in BRAND_RESUBMITTABLE:
        raise refused(
            f"brand {brand.id} is {brand.status}: only a REJECTED or FAILED brand can be corrected and sent again"
            + ("; extend the wait (extend_deadline) or cancel" if brand.status in IN_PROGRESS else "")
        )
    if input.brand is None:
        # A brand registered before this onboarding: there is no create body to apply the changes
        # to, so they are checked on their own.
        try:
            wire = BrandPatch.model_validate(req.changes).to_wire()
        except ValidationError as exc:
            errors = _field_errors(exc)
            raise refused("the changes are not valid brand fields", errors) from None
        return BrandPlan("update", wire, None, brand.id)
    wire, body = corrected_body(input.brand, req.changes, BrandPatch, BrandCreate, "brand")
    return BrandPlan("update", wire, body, brand.id)


# -- deadlines -----------------------------------------------------------------------------------


def check_extension(state: OnboardingState, req: ExtendDeadline, *, cancelling: bool = False) -> None:
    """`extend_deadline` fits only an onboarding stopped because a wait ran out."""
    _check_open(state, cancelling)
    blocker = state.blocked
    if blocker is None or blocker.deadline_at is None:
        raise refused(f"no wait ran out: {_describe_block(state)}")
    if not 0 < req.days <= MAX_EXTENSION_DAYS:
        raise refused(f"days must be more than 0 and at most {MAX_EXTENSION_DAYS:g} (got {req.days:g})")


# -- cancelling ----------------------------------------------------------------------------------


def check_cancel(state: OnboardingState, req: CancelOnboarding, *, cancelling: bool = False) -> None:
    if cancelling:
        raise refused("the onboarding is already being cancelled")
    _check_open(state, False)
    if not req.reason.strip():
        raise refused("a reason is required: it stays in the onboarding's history")


# What each kind of charge leaves behind once the onboarding stops (us-10dlc-installation: the
# number is a monthly subscription; a campaign bills a three-month minimum commitment).
RELEASE: dict[Kind, str] = {
    Kind.NUMBER: "monthly subscription: billed until the number is released in Bird",
    Kind.CAMPAIGN: "the three-month minimum commitment is owed; monthly fees continue until the campaign "
    "is deleted in Bird",
    Kind.CONNECTOR: "the connector stays installed (and holds the number) until it is uninstalled in Bird",
    Kind.BRAND: "one-off fee, already paid; the brand stays registered and can be reused (brand_id)",
    Kind.VETTING: "one-off fee, already paid; the vetting stays with the brand",
}


def still_billed(charges: list[Charge]) -> list[StillBilled]:
    """Every billed object, recurring ones first: what a person may want to release."""
    ordered = sorted(charges, key=lambda c: not c.recurring)
    return [
        StillBilled(
            kind=c.kind,
            object_id=c.object_id,
            fee=c.fee,
            recurring=c.recurring,
            amount=c.amount,
            currency=c.currency,
            release=RELEASE[c.kind],
        )
        for c in ordered
    ]


def mark_cancelled(state: OnboardingState, reason: str, now: datetime) -> None:
    """End the onboarding CANCELLED: the open step (if any) closes as cancelled, nothing is awaited."""
    for record in reversed(state.steps):
        if record.ended_at is None:
            record.ended_at, record.outcome, record.note = now, "cancelled", reason
            break
    state.blocked = None
    state.waiting = None
    state.actions.append(OperatorAction(action="cancel", at=now, step=Step.CANCELLED, note=reason))
    state.finish(Step.CANCELLED, now, outcome="cancelled", note=reason)
    state.step = Step.CANCELLED


def forget(obj: Tracked) -> None:
    """Clear what is known about an object in place (the running step holds a reference to it)."""
    for name in type(obj).model_fields:
        setattr(obj, name, None)


# -- billable creates in flight ------------------------------------------------------------------


@dataclass
class CreateGate:
    """The billable creates in flight, so that a cancel lets one finish (and so learns, and
    reports, what it bought) and lets no new one start."""

    in_flight: list[str] = field(default_factory=list)
    closed: bool = False

    async def run(self, name: str, start: Callable[[], Awaitable[T]]) -> T:
        if self.closed:
            # A cancel is stopping the onboarding and will cancel this task: start nothing billable.
            await workflow.wait_condition(lambda: False)
        self.in_flight.append(name)
        try:
            return await start()
        finally:
            self.in_flight.remove(name)


def cancelled_call(err: ActivityError) -> bool:
    """Whether a call failed only because the step awaiting it was cancelled (a person's `cancel`,
    or Temporal's): the workflow SDK reports that as the activity's failure, which a step must not
    take for Bird refusing."""
    return isinstance(err.cause, CancelledError)


def action_failed(what: str, err: ActivityError) -> ApplicationError:
    """An accepted Update whose Bird call was refused: the Update fails with Bird's words, the
    onboarding stays where it was."""
    cause = err.cause
    message, details = str(cause or err), {}
    if isinstance(cause, ApplicationError):
        message = cause.message
        if cause.details and isinstance(cause.details[0], dict):
            details = cause.details[0]
    errors = details.get("field_errors") or {}
    summary = f"{what}: {message}"
    text = f"{summary} — {_join(errors)}" if errors else summary
    return ApplicationError(text, {"summary": summary, "field_errors": errors}, type=ACTION_FAILED, non_retryable=True)
