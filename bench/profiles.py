"""Sampling profiles of the stack's Python processes while a figure is measured (`--profile DIR`),
with py-spy, and what they say in a few lines: where the samples fall, by function and by package.

py-spy samples another process from outside (`--nonblocking`: without pausing it), so the code
measured is the code shipped. It still takes CPU on a small machine: figures from a profiled run
are marked as such and are not the committed ones.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RATE = 100  # samples per second
# "function (path/to/file.py:123)" in py-spy's raw (collapsed) output
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
# Package groups, by where a file lives; the first that matches a frame's path names it.
_GROUPS = (
    ("temporalio workflow sandbox", "temporalio/worker/workflow_sandbox/"),
    ("temporalio worker", "temporalio/worker/"),
    ("temporalio converter", "temporalio/converter"),
    ("temporalio contrib.pydantic", "temporalio/contrib/pydantic"),
    ("temporalio client/bridge", "temporalio/"),
    ("pydantic", "pydantic"),
    ("httpx/httpcore", "httpx/"),
    ("httpx/httpcore", "httpcore/"),
    ("uvicorn/h11", "uvicorn/"),
    ("uvicorn/h11", "h11/"),
    ("starlette/fastapi", "starlette/"),
    ("starlette/fastapi", "fastapi/"),
    ("jsonschema", "jsonschema"),
    ("logging", "logging/"),
    ("json", "json/"),
    ("asyncio", "asyncio/"),
    ("ours: relay", "relay/"),
    ("ours: sandbox", "sandbox/"),
    ("ours: activities", "activities/"),
    ("ours: workflows", "workflows/"),
    ("ours: bird", "bird/"),
    ("ours: worker", "worker/"),
)


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextmanager
def recording(out_dir: Path | None, name: str, pids: dict[str, int]) -> Iterator[None]:
    """Record each process in `pids` while the block runs; nothing when `out_dir` is None."""
    if out_dir is None or not pids:
        yield
        return
    binary = py_spy()
    if binary is None:
        raise RuntimeError("--profile needs py-spy: pip install py-spy")
    out_dir.mkdir(parents=True, exist_ok=True)
    running = []
    for process, pid in pids.items():
        path = out_dir / f"{name}-{process}.txt"
        argv = [binary, "record", "--pid", str(pid), "--format", "raw", "--rate", str(RATE), "--nonblocking",
                "--output", str(path)]  # fmt: skip
        running.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        yield
    finally:
        for recorder in running:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
        for recorder in running:
            try:
                recorder.wait(30)
            except subprocess.TimeoutExpired:
                recorder.kill()


def _frames(stack: str) -> list[tuple[str, str]]:
    out = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame.strip())
        if match:
            out.append((match["func"], match["file"]))
    return out


def _group(path: str) -> str:
    for name, part in _GROUPS:
        if part in path:
            return name
    return "other"


def _short(func: str, path: str) -> str:
    parts = Path(path).parts
    return f"{'/'.join(parts[-2:])}:{func}"


def summarize(path: Path, top: int = 15) -> dict[str, Any]:
    """Samples in total, and the share of them (inclusive) under each package group and function."""
    total = 0
    by_group: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        if not frames:
            continue
        total += count
        for group in {_group(file) for _, file in frames}:
            by_group[group] += count
        for function in {_short(func, file) for func, file in frames}:
            by_function[function] += count
        by_leaf[_short(*frames[-1])] += count

    def share(counter: Counter[str]) -> list[list[Any]]:
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(top)] if total else []

    return {
        "samples": total,
        "seconds_on_cpu": round(total / RATE, 1),
        "packages_inclusive_pct": share(by_group),
        "functions_inclusive_pct": share(by_function),
        "functions_self_pct": share(by_leaf),
    }


def summaries(out_dir: Path) -> dict[str, Any]:
    return {path.stem: summarize(path) for path in sorted(out_dir.glob("*.txt"))}


def markdown(found: dict[str, Any]) -> str:
    lines = ["# Profiles", ""]
    for name, s in found.items():
        lines += [f"## {name}: {s['samples']} samples ({s['seconds_on_cpu']} s on CPU at {RATE} Hz)", ""]
        for title, key in (("package (inclusive)", "packages_inclusive_pct"),
                           ("function (inclusive)", "functions_inclusive_pct"),
                           ("function (self)", "functions_self_pct")):  # fmt: skip
            lines += [f"| {title} | % of samples |", "| --- | --- |"]
            lines += [f"| `{n}` | {pct} |" for n, pct in s[key]]
            lines.append("")
    return "\n".join(lines)
