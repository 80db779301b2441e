"""The one mapping from Bird's errors to activity failures (activities/errors.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.exceptions import ApplicationErrorCategory

from activities.errors import BIRD_REJECTED, application_error, not_yet
from bird.errors import (
    BirdBadRequest,
    BirdConflict,
    BirdForbidden,
    BirdNetworkError,
    BirdNotFound,
    BirdRateLimited,
    BirdServerError,
    BirdUnauthorized,
    BirdValidationError,
)


@pytest.mark.parametrize("cls", [BirdNetworkError, BirdServerError])
def test_transient_errors_are_retried_by_temporals_policy(cls):
    error = application_error(cls("get_brand: HTTP 503", status=503, operation="get_brand"))
    assert not error.non_retryable and error.type == cls.__name__ and error.next_retry_delay is None


def test_429_waits_at_least_retry_after():
    error = application_error(BirdRateLimited("create_brand: HTTP 429", retry_after=7.0, status=429, operation="create_brand"))
    assert not error.non_retryable and error.next_retry_delay == timedelta(seconds=7)
    without = application_error(BirdRateLimited("x: HTTP 429", status=429, operation="x"))
    assert without.next_retry_delay is None  # the retry policy's own backoff then


@pytest.mark.parametrize(
    "cls", [BirdBadRequest, BirdUnauthorized, BirdForbidden, BirdNotFound, BirdConflict, BirdValidationError]
)
def test_final_errors_are_non_retryable_and_carry_birds_field_errors(cls):
    details = {"errors": [{"field": "samples", "message": "must mention the brand"}]}
    error = application_error(cls("create_campaign: HTTP 422 InvalidPayload", status=422, operation="create_campaign", code="InvalidPayload", details=details))
    assert error.type == BIRD_REJECTED and error.non_retryable
    assert error.details[0] == {
        "operation": "create_campaign",
        "status": 422,
        "code": "InvalidPayload",
        "field_errors": {"samples": ["must mention the brand"]},
    }


def test_not_yet_is_benign_and_retryable():
    error = not_yet("brand b is PENDING", {"id": "b", "status": "PENDING"})
    assert error.category == ApplicationErrorCategory.BENIGN and not error.non_retryable
    assert error.details[0]["status"] == "PENDING"
