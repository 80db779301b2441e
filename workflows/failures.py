"""Reading a failed activity or Update in one place (for the blocked step, the Update, the poll round,
the CLI), and the failures a person's Update ends with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

# The failure type of a refused Update (the validator's, or the handler's own re-check): the CLI
# exits 2 on it. Anything else an Update fails with is Bird refusing what the handler sent.
REFUSED = "UpdateRefused"
ACTION_FAILED = "ActionFailed"


@dataclass(frozen=True)
class Failure:
    """An activity failure as the workflow reads it. `details` is the first detail when it is a
    dict (activities.errors puts Bird's status, code and field errors there; NotYet what a poll saw)."""

    type: str
    message: str
    non_retryable: bool = False
    details: dict[str, Any] | None = None
    field_errors: dict[str, list[str]] = field(default_factory=dict)


def failure_of(err: ActivityError | WorkflowUpdateFailedError) -> Failure:
    """What failed an activity (for a step, an Update, a poll round) or an Update (for the CLI)."""
    cause = err.cause
    if not isinstance(cause, ApplicationError):
        other = cause or err
        return Failure(type(other).__name__, str(other))
    details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else None
    return Failure(
        cause.type or "ApplicationError",
        cause.message,
        cause.non_retryable,
        details,
        (details or {}).get("field_errors") or {},
    )


def cancelled_call(err: ActivityError) -> bool:
    """Whether a call failed only because the step awaiting it was cancelled (a person's `cancel`,
    or Temporal's): the workflow SDK reports that as the activity's failure, which a step must not
    take for Bird refusing."""
    return isinstance(err.cause, CancelledError)


def join_field_errors(errors: dict[str, list[str]]) -> str:
    """`{"a": ["x", "y"], "b": ["z"]}` -> `"a: x, y; b: z"`."""
    return "; ".join(f"{name}: {', '.join(messages)}" for name, messages in errors.items())


def refused(summary: str, field_errors: dict[str, list[str]] | None = None) -> ApplicationError:
    """An Update that does not fit: the validator raises it, so the Update never reaches history.
    The message is the summary followed by every field error; the details carry both apart."""
    errors = field_errors or {}
    message = f"{summary}: {join_field_errors(errors)}" if errors else summary
    return ApplicationError(message, {"summary": summary, "field_errors": errors}, type=REFUSED, non_retryable=True)


def action_failed(what: str, err: ActivityError) -> ApplicationError:
    """An accepted Update whose Bird call was refused: the Update fails with Bird's words, the
    onboarding stays where it was."""
    failure = failure_of(err)
    errors = failure.field_errors
    summary = f"{what}: {failure.message}"
    text = f"{summary} — {join_field_errors(errors)}" if errors else summary
    return ApplicationError(text, {"summary": summary, "field_errors": errors}, type=ACTION_FAILED, non_retryable=True)
