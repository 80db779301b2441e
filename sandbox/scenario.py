"""What the sandbox's reviewers decide: per kind of object, the outcome of each review and its delay.

A plan is a list of reviews: the first applies to an object's first review, the second to the
review after a resubmission, and the last one repeats. `[{"outcome": "decline"}, {"outcome":
"approve"}]` makes a campaign that is declined, then approved once resubmitted by PATCH.
Plans are bound to an object when it is created, so changing the defaults later does not
change objects already under review (use `/_sandbox/objects/.../review` for those).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from sandbox.wire import CamelModel

Kind = Literal["brand", "vetting", "campaign", "connector"]
KINDS: tuple[Kind, ...] = ("brand", "vetting", "campaign", "connector")
Outcome = Literal["approve", "reject", "fail", "decline", "expire", "hold"]

# Which outcomes each kind can have, and the Bird status each one leads to. A connector's
# "review" is the carriers linking its number: approve -> useCaseStatus ok, fail -> error.
STATUS_FOR: dict[Kind, dict[str, str]] = {
    "brand": {"approve": "APPROVED", "reject": "REJECTED", "fail": "FAILED"},
    "vetting": {"approve": "APPROVED", "reject": "REJECTED", "fail": "FAILED", "expire": "EXPIRED"},
    "campaign": {"approve": "APPROVED", "decline": "DECLINED", "reject": "REJECTED", "fail": "FAILED"},
    "connector": {"approve": "ok", "fail": "error"},
}

# Reasons in the style of TCR's; a scenario may give its own.
_REASONS: dict[tuple[Kind, str], tuple[str, str]] = {
    ("brand", "reject"): ("TCR-1001", "The EIN does not match the legal company name on record."),
    ("brand", "fail"): ("TCR-1002", "Identity verification could not be completed."),
    ("vetting", "reject"): ("VET-2001", "The vetting provider could not verify the brand."),
    ("vetting", "fail"): ("VET-2002", "The vetting provider returned an error."),
    ("vetting", "expire"): ("VET-2003", "The vetting result expired."),
    ("campaign", "decline"): ("CMP-3001", "The sample messages do not match the campaign description."),
    ("campaign", "reject"): ("CMP-3002", "The use case is not permitted for this brand."),
    ("campaign", "fail"): ("CMP-3003", "The campaign could not be submitted to the registry."),
    ("connector", "fail"): ("LNK-4001", "Number status is FAILED"),
}
DEFAULT_REASONS = {key: {"description": text, "code": code} for key, (code, text) in _REASONS.items()}


class Reason(CamelModel):
    description: Annotated[str, Field(min_length=1)]
    code: str | None = None


class Review(CamelModel):
    """One review: its outcome, after how many seconds (None: the configured delay for the kind)."""

    outcome: Outcome = "approve"
    delay: Annotated[float, Field(ge=0)] | None = None
    reason: Reason | None = None
    # vetting only: the score an approval reports
    score: Annotated[str, Field(max_length=3)] | None = None


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


Plan = Annotated[list[Review], Field(min_length=1), BeforeValidator(_one_or_many)]


def _check_outcomes(kind: Kind, plan: list[Review], where: str) -> None:
    allowed = set(STATUS_FOR[kind]) | {"hold"}
    for i, review in enumerate(plan):
        if review.outcome not in allowed:
            raise ValueError(
                f"{where}[{i}].outcome: {review.outcome!r} is not an outcome for a {kind}; use one of {sorted(allowed)}"
            )


class Override(CamelModel):
    """A plan for particular objects: those whose fields equal `match` (all objects of the kind
    when empty), for the next `count` of them (forever when None)."""

    kind: Kind
    match: dict[str, str] = Field(default_factory=dict)
    count: Annotated[int, Field(ge=1)] | None = None
    reviews: Plan

    @model_validator(mode="after")
    def _outcomes_fit_kind(self) -> Override:
        _check_outcomes(self.kind, self.reviews, "reviews")
        return self


class Scenario(CamelModel):
    brand: Plan = Field(default_factory=lambda: [Review()])
    vetting: Plan = Field(default_factory=lambda: [Review()])
    campaign: Plan = Field(default_factory=lambda: [Review()])
    connector: Plan = Field(default_factory=lambda: [Review()])
    overrides: list[Override] = Field(default_factory=list)

    @model_validator(mode="after")
    def _outcomes_fit_kind(self) -> Scenario:
        for kind in KINDS:
            _check_outcomes(kind, getattr(self, kind), kind)
        return self

    def claim_plan(self, kind: Kind, fields: dict[str, Any]) -> list[Review]:
        """The plan for a new object: the first override that matches (using up one of its
        `count`), else the default for its kind."""
        for override in self.overrides:
            if override.kind != kind:
                continue
            if all(str(fields.get(key)) == value for key, value in override.match.items()):
                if override.count is not None:
                    override.count -= 1
                    if override.count == 0:
                        self.overrides.remove(override)  # used up: it no longer shows in GET
                return [review.model_copy(deep=True) for review in override.reviews]
        return [review.model_copy(deep=True) for review in getattr(self, kind)]


def review_at(plan: list[Review], number: int) -> Review:
    """The review numbered `number` (0 = the first); the last one repeats."""
    return plan[min(number, len(plan) - 1)]


def reason_for(kind: Kind, review: Review) -> dict[str, str] | None:
    """The rejection body an object carries after `review`, or None for an approval."""
    if review.outcome in ("approve", "hold"):
        return None
    if review.reason is not None:
        return review.reason.model_dump(exclude_none=True)
    return dict(DEFAULT_REASONS[(kind, review.outcome)])
