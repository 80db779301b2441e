"""Awaiting a decision Bird makes on its own time (an approval, carriers linking a number).

Webhook first: the `bird_event` signal records what it says and the waiting condition wakes. Polling
covers lost webhooks: after each gap of the exponential series a round of polls runs as one
activity whose retry policy does the backoff (no history per retry), raced with the signal and
abandoned if the signal wins. Between rounds the caller may continue as new; the durable part of
a wait (`Waiting`: since when, how many polls) lives in the onboarding state and survives it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.errors import NOT_YET
    from workflows.inputs import PollSettings
    from workflows.options import POLLS_PER_ROUND, bird_poll, poll_interval
    from workflows.state import Waiting


@dataclass
class Watch:
    """One wait: when it is over, how to poll, and how to record what a poll saw."""

    what: str
    settled: Callable[[], bool]
    poll: Callable[..., Any]  # an activity method raising NotYet until the object is decided
    arg: BaseModel
    record: Callable[[Any], None]  # a poll's answer (the activity's result model)
    record_last_seen: Callable[[dict[str, Any]], None]  # what a round that ended undecided last saw


def round_ended_undecided(err: ActivityError) -> bool:
    """A round that ran out of attempts while Bird kept saying "not yet" (or kept failing
    transiently): polling goes on. Anything non-retryable is Bird refusing us, for the caller."""
    cause = err.cause
    return not (isinstance(cause, ApplicationError) and cause.non_retryable)


class Waiter:
    """Runs waits for one workflow run, counting the polls it makes so the run stays small."""

    def __init__(
        self,
        settings: PollSettings,
        checkpoint_due: Callable[[], bool],
        checkpoint: Callable[[], Awaitable[None]],
    ) -> None:
        self._settings = settings
        self._checkpoint_due = checkpoint_due
        self._checkpoint = checkpoint  # continues as new; does not return when it does
        self.polls_this_run = 0

    async def until_settled(self, watch: Watch, waiting: Waiting) -> None:
        """Return once `watch.settled()`, whether an event or a poll said so."""
        while not watch.settled():
            if self._checkpoint_due():
                await self._checkpoint()
            delay = poll_interval(self._settings.min_seconds, self._settings.max_seconds, waiting.polls)
            waiting.next_poll_at = workflow.now() + delay
            try:
                await workflow.wait_condition(
                    lambda: watch.settled() or self._checkpoint_due(),
                    timeout=delay,
                    timeout_summary=f"{watch.what}: next poll",
                )
                continue  # settled by an event, or time to continue as new: the loop decides
            except asyncio.TimeoutError:
                pass
            await self._poll_round(watch, waiting)

    async def _poll_round(self, watch: Watch, waiting: Waiting) -> None:
        s = self._settings
        poll = workflow.start_activity_method(
            watch.poll,
            watch.arg,
            **bird_poll(s.min_seconds, s.max_seconds, waiting.polls),
            summary=f"poll: {watch.what}",
        )
        signalled = asyncio.ensure_future(workflow.wait_condition(watch.settled))
        await workflow.wait([poll, signalled], return_when=asyncio.FIRST_COMPLETED)
        if not signalled.done():
            signalled.cancel()
        if not poll.done():
            poll.cancel()  # an event settled it first: Bird's answer is no longer needed (abandoned)
            await workflow.wait([poll])
            return
        waiting.next_poll_at = None
        if poll.cancelled():
            return
        err = poll.exception()
        if err is None:
            self._count(waiting, 1)
            watch.record(poll.result())
            return
        if isinstance(err, ActivityError) and round_ended_undecided(err):
            self._count(waiting, POLLS_PER_ROUND)
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == NOT_YET and cause.details:
                watch.record_last_seen(cause.details[0])
            return
        raise err

    def _count(self, waiting: Waiting, polls: int) -> None:
        waiting.polls += polls
        self.polls_this_run += polls
