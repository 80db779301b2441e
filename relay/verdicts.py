"""Which events can end an onboarding's wait, read off the waits in workflows/kinds.py (`KINDS`).

An event that cannot (a brand or campaign still PENDING, a channel not yet active) moves no
onboarding; it only refreshes the status a person sees. The relay still signals it to an onboarding
it can find at once, but does not wait for one to become visible (see relay/app.py).
"""

from __future__ import annotations

from functools import lru_cache

from bird.events import EventRef, ObjectKind
from workflows.kinds import KINDS, Kind
from workflows.state import Objects


def ends_a_wait(ref: EventRef) -> bool:
    """Whether `ref`'s status alone would end some step's wait: each kind's `settled` and `accepted`
    tests from KINDS, given an onboarding that knows nothing but this event. An unknown status
    counts as a verdict (`settled` says so for anything not in progress)."""
    return _ends_a_wait(ref.kind, ref.status)


@lru_cache(maxsize=1024)
def _ends_a_wait(kind: ObjectKind, status: str) -> bool:
    objects = Objects()
    objects.get(Kind(kind.value)).status = status
    return any(
        info.wait.settled(objects) or info.wait.accepted(objects) for info in KINDS.values() if info.wait is not None
    )
