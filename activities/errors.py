"""How a Bird failure becomes a Temporal activity failure: the one place that decides retry or not.

    BirdRetryableError (network, 5xx, 429)  -> ApplicationError, retryable; 429 waits Retry-After
    BirdFinalError (400/401/403/404/409/422) -> ApplicationError(type="BirdRejected", non_retryable)
    a create body Bird's schema refuses     -> ApplicationError(type="InvalidRequest", non_retryable)
    no SMS number in stock for the prefix   -> ApplicationError(type="NoNumberInStock", non_retryable)
    the chosen stock item sold in between   -> ApplicationError(type="StockItemSold", non_retryable)
    "not decided yet" while polling          -> ApplicationError(type="NotYet", category=BENIGN)

Messages and details end up in workflow history: they carry Bird's code, message and field errors
(`bird.errors` keeps headers, keys and bodies out of them), never anything from the request headers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from bird.errors import BirdError, BirdRateLimited, field_errors_of

BIRD_REJECTED = "BirdRejected"
INVALID_REQUEST = "InvalidRequest"
NOT_YET = "NotYet"
NO_NUMBER_IN_STOCK = "NoNumberInStock"
STOCK_ITEM_SOLD = "StockItemSold"  # the workflow chooses another number, nobody needs to act


def error_details(
    operation: str, *, status: int | None = None, code: str = "", field_errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """The details every failure carries, which the workflow copies into the status query."""
    return {"operation": operation, "status": status, "code": code, "field_errors": field_errors or {}}


def application_error(exc: BirdError) -> ApplicationError:
    """The activity failure for a Bird error: retryable ones keep their class name as the type."""
    details = error_details(exc.operation, status=exc.status, code=exc.code, field_errors=exc.field_errors)
    if exc.retryable:
        delay = None
        if isinstance(exc, BirdRateLimited) and exc.retry_after is not None:
            # Bird did not process the request; asking again before Retry-After only earns another 429.
            delay = timedelta(seconds=max(exc.retry_after, 1.0))
        return ApplicationError(exc.message, details, type=type(exc).__name__, next_retry_delay=delay)
    return ApplicationError(exc.message, details, type=BIRD_REJECTED, non_retryable=True)


def invalid_request(operation: str, exc: ValidationError) -> ApplicationError:
    """A body that would not pass Bird's schema: sending it would only earn a 422, so nothing is sent."""
    field_errors = field_errors_of(exc)
    message = f"{operation}: the request does not match Bird's schema ({len(field_errors)} field(s))"
    details = error_details(operation, field_errors=field_errors)
    return ApplicationError(message, details, type=INVALID_REQUEST, non_retryable=True)


def not_yet(what: str, observed: dict[str, Any]) -> ApplicationError:
    """A poll that found the object undecided: retried by the poll's backoff policy, logged quietly.

    `observed` (the object as last seen) rides in the details, so when a round of polls ends the
    workflow still learns what Bird said, e.g. the channel id of a connector not yet ready.
    """
    return ApplicationError(f"{what}: not yet", observed, type=NOT_YET, category=ApplicationErrorCategory.BENIGN)
