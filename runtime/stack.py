"""The whole product on one machine: a Temporal dev server, the Bird sandbox, the relay and a
worker, each a real process wired to the others through the environment names of
runtime/settings.py (the sandbox included: it takes its key and ids from the same names).

`tendlc demo`, the end-to-end tests and the benchmarks all run on this one definition, so what
they exercise is what a person gets from `make demo`.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.processes import Child, StackError, Supervisor, dev_server_argv, port_in_use, require_free_ports
from workflows.contract import DEFAULT_TASK_QUEUE

# Bird posts only to public https URLs (create-webhook-subscription.json); the sandbox signs for
# this one and delivers to the local relay, as a tunnel in front of the relay would.
PUBLIC_RELAY_URL = "https://relay.tendlc.test/webhooks/bird"


def _get_json(url: str, timeout: float = 2.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
        return json.loads(response.read() or b"null")


def _answers(url: str) -> bool:
    try:
        _get_json(url, timeout=1.0)
        return True
    except (OSError, ValueError, urllib.error.URLError):
        return False


@dataclass
class StackConfig:
    home: Path = Path(".tendlc")
    temporal_port: int = 7233
    ui_port: int | None = 8233  # None: no Web UI
    sandbox_port: int = 8787
    relay_port: int = 8788
    worker_metrics_port: int | None = None
    temporal_metrics_port: int | None = None  # the dev server's Prometheus metrics (the benchmarks read them)
    sandbox_delay: float | None = None  # every review/linking delay; None: the sandbox's demo defaults
    sandbox_config: Path | None = None  # a JSON file of SandboxConfig fields
    poll_min_seconds: float = 2.0
    poll_max_seconds: float = 10.0
    task_queue: str = DEFAULT_TASK_QUEUE
    fresh: bool = True  # start from an empty Temporal database
    signing_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # The stack's Bird account: the sandbox serves it, the worker and the CLI use it.
    access_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    organization_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    workspace_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def relay_url(self) -> str:
        return f"http://127.0.0.1:{self.relay_port}"

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.ui_port}" if self.ui_port else ""

    def env(self) -> dict[str, str]:
        """The configuration every child (and the CLI talking to them) shares."""
        return {
            "TEMPORAL_ADDRESS": self.temporal_address,
            "TEMPORAL_NAMESPACE": "default",
            "TENDLC_TASK_QUEUE": self.task_queue,
            "TEMPORAL_UI_URL": self.ui_url or "http://localhost:8233",
            "BIRD_API_BASE_URL": self.sandbox_url,
            "BIRD_ACCESS_KEY": self.access_key,
            "BIRD_WORKSPACE_ID": self.workspace_id,
            "BIRD_ORGANIZATION_ID": self.organization_id,
            "BIRD_SIGNING_KEY": self.signing_key,
            "RELAY_PUBLIC_URL": PUBLIC_RELAY_URL,
            "TENDLC_POLL_MIN_SECONDS": str(self.poll_min_seconds),
            "TENDLC_POLL_MAX_SECONDS": str(self.poll_max_seconds),
            **self.extra_env,
        }


class LocalStack:
    """Start with `start()` (or `with LocalStack(config) as stack:`); everything stops on `stop()`."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.home = config.home.resolve()
        self.supervisor = Supervisor(self.home / "logs")
        self.worker: Child | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, *, worker: bool = True) -> LocalStack:
        c = self.config
        ports = {"Temporal": c.temporal_port, "sandbox": c.sandbox_port, "relay": c.relay_port}
        if c.ui_port:
            ports["Temporal UI"] = c.ui_port
        if c.worker_metrics_port:
            ports["worker metrics"] = c.worker_metrics_port
        if c.temporal_metrics_port:
            ports["Temporal metrics"] = c.temporal_metrics_port
        require_free_ports(ports)
        self.home.mkdir(parents=True, exist_ok=True)
        db = self.home / "temporal.db"
        if c.fresh:
            for stale in self.home.glob("temporal.db*"):
                stale.unlink()
        try:
            self.supervisor.start(
                "temporal",
                dev_server_argv(db_file=db, port=c.temporal_port, ui_port=c.ui_port, metrics_port=c.temporal_metrics_port),
                ready=lambda: port_in_use(c.temporal_port) and (not c.ui_port or port_in_use(c.ui_port)),
            )
            self.supervisor.start(
                "sandbox", self._sandbox_argv(), env=self._child_env(), cwd=self.home,
                ready=lambda: _answers(f"{c.sandbox_url}/_sandbox/health"),
            )  # fmt: skip
            self.supervisor.start(
                "relay", self._tendlc("relay", "--port", str(c.relay_port)), env=self._child_env(), cwd=self.home,
                ready=lambda: _answers(f"{c.relay_url}/healthz"),
            )  # fmt: skip
            self.setup_webhooks()
            if worker:
                self.start_worker()
        except BaseException:
            self.stop()
            raise
        return self

    def start_worker(self) -> Child:
        argv = self._tendlc("worker")
        if self.config.worker_metrics_port:
            argv += ["--metrics-port", str(self.config.worker_metrics_port)]
        log = self.home / "logs" / "worker.log"
        # The supervisor starts each child on a fresh (truncated) log, so the line is looked for from
        # the start: an offset into the previous worker's log would skip the new worker's line.
        self.worker = self.supervisor.start(
            "worker", argv, env=self._child_env(), cwd=self.home, ready=lambda: "worker started" in _read_from(log, 0)
        )
        return self.worker

    def kill_worker(self) -> None:
        """SIGKILL the worker, as a crash would: no graceful shutdown, activities cut mid-flight."""
        if self.worker is not None and self.worker.alive():
            self.worker.process.kill()
            self.worker.process.wait()
            self.supervisor.children.remove(self.worker)
        self.worker = None

    def stop(self) -> None:
        self.supervisor.stop_all()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- talking to the parts -------------------------------------------------------------------

    def setup_webhooks(self) -> None:
        result = subprocess.run(
            self._tendlc("webhooks", "setup"), env=self._child_env(), cwd=self.home,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        if result.returncode != 0:
            raise StackError(f"webhook subscriptions could not be set up:\n{result.stdout}{result.stderr}")

    def sandbox(self, path: str, *, method: str = "GET", body: Any = None) -> Any:
        """Call the sandbox's control plane (`/_sandbox/<path>`)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.config.sandbox_url}/_sandbox/{path.lstrip('/')}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return json.loads(response.read() or b"null")

    def ledger(self) -> dict[str, Any]:
        return self.sandbox("ledger")

    # -- plumbing -------------------------------------------------------------------------------

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        # the stack is self-contained: a person's Temporal Cloud or Bird settings must not leak in
        for name in ("TEMPORAL_API_KEY", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "BIRD_READINESS_PATH"):
            env.pop(name, None)
        return {**env, **self.config.env()}

    def _tendlc(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "starter.cli", *args]

    def _sandbox_argv(self) -> list[str]:
        c = self.config
        argv = self._tendlc(
            "sandbox", "--port", str(c.sandbox_port),
            "--deliver-to", f"{PUBLIC_RELAY_URL}={c.relay_url}/webhooks/bird",
        )  # fmt: skip
        if c.sandbox_delay is not None:
            argv += ["--delay", str(c.sandbox_delay)]
        if c.sandbox_config is not None:
            argv += ["--config", str(c.sandbox_config.resolve())]
        return argv


def _read_from(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except OSError:
        return ""
