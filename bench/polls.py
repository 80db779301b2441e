"""How many fallback polls a wait takes when no webhook arrives, from the polling rule alone
(TENDLC_POLL_MIN_SECONDS, TENDLC_POLL_MAX_SECONDS in the README):
the first poll `min` seconds into the wait, then gaps of 2·min, 4·min, … capped at `max`.

Written from the rule, not from `workflows/`, so that the figure checks the workflow against it.
"""

from __future__ import annotations

from collections.abc import Iterator


def poll_times(min_seconds: float, max_seconds: float) -> Iterator[float]:
    """Seconds from the start of a wait to each poll, forever."""
    t, gap = min_seconds, 2 * min_seconds
    while True:
        yield t
        t += min(gap, max_seconds)
        gap *= 2


def polls_until(decided_after: float, min_seconds: float, max_seconds: float, limit: int = 10_000) -> int:
    """Polls a wait makes when the object is decided `decided_after` seconds into it: the first poll
    at or after that moment sees the decision."""
    for count, t in enumerate(poll_times(min_seconds, max_seconds), start=1):
        if t >= decided_after or count >= limit:
            return count
    raise AssertionError("unreachable")


def margin(decided_after: float, min_seconds: float, max_seconds: float) -> float:
    """Seconds between the decision and the nearest poll: how much scheduling jitter the expected
    count tolerates before one poll more or fewer would happen."""
    times = []
    for t in poll_times(min_seconds, max_seconds):
        times.append(t)
        if t >= decided_after:
            break
    return min(abs(t - decided_after) for t in times)
