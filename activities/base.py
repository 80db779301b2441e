"""What every Bird activity shares: the reference it returns, and the wrapper that maps errors and
keeps a heartbeat going so that a worker that dies mid-call is noticed in seconds, not minutes."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import activity

from activities.errors import application_error, invalid_request
from bird.errors import BirdError
from bird.models import Rejection

T = TypeVar("T")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)


class ObjectRef(BaseModel):
    """A Bird object as the workflow needs it: id, status, Bird's updatedAt, and the rejection reason."""

    id: str
    status: str | None = None
    updated_at: str | None = None
    reason: str | None = None
    # False when list-and-match found it: an earlier attempt already created (and paid for) it.
    created: bool = True


def rejection_text(rejection: Rejection | None, reasons: list[str] | None = None) -> str | None:
    """Bird's rejection reason in one line: description, code, and any listed reasons."""
    parts: list[str] = []
    if rejection is not None:
        if rejection.description:
            parts.append(rejection.description)
        if rejection.code:
            parts.append(f"(code {rejection.code})")
    parts.extend(r for r in reasons or [] if r)
    return " ".join(parts) or None


def validated(model: type[M], body: dict[str, Any], operation: str) -> M:
    """The create body as Bird's model, or a non-retryable failure naming every bad field."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise invalid_request(operation, exc) from None


async def _heartbeat_until_cancelled(every: float) -> None:
    # The first beat only after `every`: a call that ends in milliseconds (most of them) then costs
    # no heartbeat RPC at all, and a long one still beats three times per heartbeat timeout.
    while True:
        await asyncio.sleep(every)
        activity.heartbeat()


def bird_operation(fn: Callable[[Any, T], Awaitable[R]]) -> Callable[[Any, T], Awaitable[R]]:
    """Wrap an activity method: Bird errors become activity failures (see `activities.errors`), and
    while the call runs it heartbeats, if the workflow set a heartbeat timeout (from a third of it on)."""

    @functools.wraps(fn)
    async def wrapper(self: Any, arg: T) -> R:
        timeout = activity.info().heartbeat_timeout
        beat = None
        if timeout:
            beat = asyncio.create_task(_heartbeat_until_cancelled(max(timeout.total_seconds() / 3, 0.5)))
        try:
            return await fn(self, arg)
        except BirdError as exc:
            raise application_error(exc) from None
        finally:
            if beat is not None:
                beat.cancel()

    return wrapper
