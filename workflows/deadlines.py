"""Deadlines on the waits for a decision: how long the registry (brand, vetting, campaign) or the
carriers (readiness) may take before a person is asked to look.

Each wait gets its deadline when it begins (the request's `deadlines`: 30, 30, 45 and 3 days by
default), kept in `Waiting.deadline_at` so that it survives continue-as-new and shows in the
status. When it passes, the onboarding takes one last look (the decision may have been made and
its event lost since the last poll); still undecided, it stops in NEEDS_ACTION saying which wait
ran out, and a person extends the wait (`extend_deadline`) or cancels.

Deadlines came after onboardings were already running, so they apply behind the `wait-deadlines`
patch: histories recorded before it replay unchanged, with no deadline.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow

from workflows.inputs import DeadlineDays
from workflows.contract import Step
from workflows.state import Blocker, Kind, Waiting
from workflows.waits import Waiter, Watch

DEADLINES_PATCH = "wait-deadlines"

WAIT_NAME = {
    Kind.BRAND: "brand approval",
    Kind.VETTING: "vetting",
    Kind.CAMPAIGN: "campaign approval",
    Kind.CONNECTOR: "readiness",
}


def deadline_days(deadlines: DeadlineDays, kind: Kind) -> float:
    return {
        Kind.BRAND: deadlines.brand,
        Kind.VETTING: deadlines.vetting,
        Kind.CAMPAIGN: deadlines.campaign,
        Kind.CONNECTOR: deadlines.readiness,
    }[kind]


async def until_settled_or_due(waiter: Waiter, watch: Watch, waiting: Waiting, days: float) -> bool:
    """Wait as `waiter.until_settled` does, but no later than the wait's deadline (`days` after it
    began, unless it already has one). True once settled; False when the deadline came first."""
    if not workflow.patched(DEADLINES_PATCH):
        await waiter.until_settled(watch, waiting)
        return True
    if waiting.deadline_at is None:
        waiting.deadline_at = waiting.since + timedelta(days=days)
    remaining = waiting.deadline_at - workflow.now()
    if remaining <= timedelta(0):
        return watch.settled()
    wait = asyncio.create_task(waiter.until_settled(watch, waiting))
    due = asyncio.create_task(workflow.sleep(remaining, summary=f"{watch.what}: deadline"))
    try:
        await workflow.wait([wait, due], return_when=asyncio.FIRST_COMPLETED)
    finally:
        # Whichever is still pending goes: the wait when its deadline came, the timer when the
        # wait ended, both when this step is itself being cancelled.
        for task in (wait, due):
            if not task.done():
                task.cancel()
    if wait.done() and not wait.cancelled():
        wait.result()  # re-raises what ended the wait early: continue-as-new, or a failure
        return True
    await workflow.wait([wait])  # let the abandoned wait unwind before the step goes on
    return watch.settled()


def wait_ran_out(step: Step, kind: Kind, object_id: str, status: str | None, waiting: Waiting, now: datetime) -> Blocker:
    """The blocker for a wait whose deadline passed with the object still undecided."""
    deadline = waiting.deadline_at or now
    days = (deadline - waiting.since) / timedelta(days=1)
    return Blocker(
        step=step,
        kind=kind,
        object_id=object_id,
        status=status,
        reason=(
            f"the {WAIT_NAME[kind]} wait ran out: {kind} {object_id} is still {status or 'undecided'} after "
            f"{days:g} days (deadline {deadline:%Y-%m-%d %H:%M} UTC); extend the wait or cancel"
        ),
        since=now,
        deadline_at=deadline,
    )


def resumed_wait(blocker: Blocker, now: datetime, days: float) -> Waiting:
    """The wait `extend_deadline` resumes: the same object, from now, with the new deadline (the
    step picks it up, as it picks up a wait kept across continue-as-new)."""
    kind = blocker.kind or Kind.CONNECTOR
    what = "readiness" if kind == Kind.CONNECTOR else "decision"
    return Waiting(
        step=blocker.step,
        kind=kind,
        object_id=blocker.object_id or "",
        what=f"{kind} {blocker.object_id} {what}",
        since=now,
        deadline_at=now + timedelta(days=days),
    )
