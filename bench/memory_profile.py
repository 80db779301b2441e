"""Where a parked onboarding's memory goes (`--profile`): the product's worker, built by
`worker.main.build_worker` inside this process under tracemalloc, parks onboardings on a task queue
of its own; the allocations still alive afterwards, minus those before, are grouped by the code
that made them (the innermost frame in the SDK or in this project, else the innermost frame).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

FRAMES = 12
WAVE = 10  # onboardings started at once under the profile
_OURS = ("/workflows/", "/activities/", "/bird/", "/worker/", "/starter/")


def _label(trace: tracemalloc.Traceback) -> str:
    frames = list(trace)  # most recent call first
    for i, frame in enumerate(frames):
        if "/temporalio/" in frame.filename or any(part in frame.filename for part in _OURS):
            if "workflow_sandbox/_importer.py" in frame.filename:
                # An import inside the workflow sandbox: name the module whose code was running.
                module = next((f for f in frames[:i] if not f.filename.startswith("<")), None)
                return f"sandbox re-import of {_file(module)}" if module else _where(frame)
            return _where(frame)
    return _where(frames[0])


def _file(frame: tracemalloc.Frame) -> str:
    return _where(frame).rsplit(":", 1)[0]


ROOT = Path(__file__).resolve().parent.parent


def _where(frame: tracemalloc.Frame) -> str:
    path = Path(frame.filename)
    # installed packages from their package down, this project's files by their repository path
    if "site-packages" in path.parts:
        shown = "/".join(path.parts[path.parts.index("site-packages") + 1 :])
    elif path.is_relative_to(ROOT):
        shown = str(path.relative_to(ROOT))
    else:
        shown = "/".join(path.parts[-3:])
    return f"{shown}:{frame.lineno}"


def _by_file(label: str) -> str:
    if label.startswith("sandbox re-import of "):
        return "sandbox re-imports (all modules)"
    return label.rsplit(":", 1)[0]


async def profile(
    build_workers: Any, start_parked: Any, parked_count: Any, count: int, timeout: float
) -> dict[str, Any]:
    """`build_workers()` -> the unstarted Workers of one worker process; `start_parked(first, end)`
    starts the onboardings `first` to `end - 1` on its queue; `parked_count()` says how many have
    parked."""
    tracemalloc.start(FRAMES)
    try:
        async with contextlib.AsyncExitStack() as workers:
            for worker in build_workers():
                await workers.enter_async_context(worker)
            await asyncio.sleep(1.0)
            gc.collect()
            before = tracemalloc.take_snapshot()
            deadline = time.monotonic() + timeout
            # In waves: under tracemalloc a first workflow task takes seconds, and a hundred at once
            # would each outlast the workflow-task timeout and be retried without end.
            for started in range(0, count, WAVE):
                await start_parked(started, min(started + WAVE, count))
                while parked_count() < min(started + WAVE, count):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"only {parked_count()} of {count} parked under the memory profile")
                    await asyncio.sleep(0.5)
            await asyncio.sleep(2.0)
            gc.collect()
            after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown: Counter[str] = Counter()
    files: Counter[str] = Counter()
    for stat in after.compare_to(before, "traceback"):
        if stat.size_diff <= 0:
            continue
        label = _label(stat.traceback)
        grown[label] += stat.size_diff
        files[_by_file(label)] += stat.size_diff
    total = sum(grown.values())
    return {
        "parked": count,
        "traced_growth_mb": round(total / 1e6, 1),
        "per_1000_mb": round(total / 1e6 * 1000 / count, 1),
        "by_file": [[name, round(size / 1e6 * 1000 / count, 1)] for name, size in files.most_common(12)],
        "by_line": [[name, round(size / 1e6 * 1000 / count, 1)] for name, size in grown.most_common(15)],
    }
