"""What every Bird activity shares: the reference it returns, and the wrapper that maps errors and
keeps a heartbeat going so that a worker that dies mid-call is noticed in seconds, not minutes."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import activity

from activities.errors import application_error, invalid_request
from bird.errors import BirdError, BirdRateLimited
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


# How far Bird's clock may lag the workflow's when deciding whether an object was created after this
# onboarding first scheduled its create (Bird's createdAt against Temporal's workflow time; both
# are NTP time). Kept small: an object of the same content created within it by another
# onboarding cannot be told from ours.
CLOCK_SKEW = timedelta(seconds=2)


class Ownership(BaseModel):
    """What a create needs to recognise its own object after a lost answer, and only its own.

    `since`: when the workflow first scheduled this create (kept across NEEDS_ACTION retries and
    continue-as-new). Only objects created after it, with the same content, can be the answer we
    lost; anything older belongs to someone else (another onboarding, an earlier customer).
    `first`: this is the first schedule of the create; on its first attempt nothing can have been
    created yet, so it sends without listing.
    Both unset (an activity scheduled by older workflow code): list and match as before.
    """

    since: datetime | None = None
    first: bool = False

    def must_look(self) -> bool:
        """Whether an earlier attempt may have created the object: not on the first attempt of the
        first schedule, nor after an attempt that ended knowing nothing was created (Bird's 429)."""
        nothing_yet = (self.first and activity.info().attempt == 1) or _left_nothing_created()
        _nothing_created.set(nothing_yet)
        return not nothing_yet

    def found_nothing(self) -> None:
        """The look found no object of ours: no earlier attempt created one."""
        _nothing_created.set(True)

    def may_be_ours(self, created_at: str | None) -> bool:
        if self.since is None:
            return True
        if not created_at:
            return False
        try:
            created = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
        except ValueError:
            return False
        return _utc(created) >= _utc(self.since) - CLOCK_SKEW


# What an attempt of a create leaves in its heartbeat details when it ends knowing that nothing was
# created: Bird answered 429 ("not processed") while no earlier attempt can have created anything
# either. The next attempt then sends without listing, so a busy quota never makes a create page
# through the workspace (which would cost more requests, and earn more 429s).
NOTHING_CREATED = "nothing-created"
_nothing_created: ContextVar[bool] = ContextVar("nothing_created", default=False)


def _left_nothing_created() -> bool:
    return list(activity.info().heartbeat_details) == [NOTHING_CREATED]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
        _nothing_created.set(False)
        try:
            return await fn(self, arg)
        except BirdError as exc:
            if isinstance(exc, BirdRateLimited) and _nothing_created.get():
                activity.heartbeat(NOTHING_CREATED)  # travels with the failure to the next attempt
            raise application_error(exc) from None
        finally:
            if beat is not None:
                beat.cancel()

    return wrapper
