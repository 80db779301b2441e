"""The benchmark's stack and its traffic: the product's own `LocalStack` (dev server, sandbox at
zero delays, relay, worker) plus the floors' processes, requests under fresh names, and starting
and finishing many onboardings at once.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import os
import socket
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from temporalio.client import Client, WorkflowHandle

from bench import profiles, server_metrics
from bench.bare_workflow import BARE_TASK_QUEUE
from runtime.connection import connect
from runtime.processes import Child, port_in_use
from runtime.settings import StarterSettings, TemporalSettings
from runtime.stack import LocalStack, StackConfig
from starter.start import prepare, start
from workflows.contract import workflow_id_for

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "onboarding.json"
NUMBERS_PER_AREA_CODE = 100  # the sandbox's upper bound
START_PARALLEL = 100  # start RPCs in flight at once: "all at once" without a thousand open streams


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def area_codes(count: int) -> list[str]:
    return [str(201 + i) for i in range(count)]


def number_prefix(index: int) -> str:
    """The full number of stock item `index`: each onboarding asks for its own, so onboardings
    started together never choose the same item and race to buy it."""
    code, offset = divmod(index, NUMBERS_PER_AREA_CODE)
    return f"+1{201 + code}5550{100 + offset:03d}"


def request_for(onboarding_id: str, number: dict[str, Any], brand: dict[str, Any] | None = None) -> dict[str, Any]:
    """The example request under names of its own (no onboarding matches another's brand,
    campaign or connector as an earlier attempt of its own)."""
    request = copy.deepcopy(json.loads(EXAMPLE.read_text()))
    name = f"Acme Plumbing {onboarding_id}"
    request["onboarding_id"] = onboarding_id
    request["number"] = number
    if brand is None:
        request["brand"]["displayName"] = name
    else:
        request["brand"] = brand
    request["campaign"]["name"] = f"{name} reminders"
    request["campaign"]["samples"] = [s.replace("Acme Plumbing", name) for s in request["campaign"]["samples"]]
    request["connector"]["name"] = f"{name} SMS"
    return request


class BenchStack:
    """The product's stack on free loopback ports, plus the bare worker (its own task queue)."""

    def __init__(self, home: Path, stock: int, profile_dir: Path | None = None) -> None:
        self.home = home.resolve()
        self.profile_dir = profile_dir
        self.home.mkdir(parents=True, exist_ok=True)
        sandbox_config = self.home / "sandbox-config.json"
        codes = area_codes(-(-stock // NUMBERS_PER_AREA_CODE))
        sandbox_config.write_text(json.dumps({"areaCodes": codes, "numbersPerAreaCode": NUMBERS_PER_AREA_CODE}))
        self.config = StackConfig(
            home=self.home / "stack",
            temporal_port=free_port(),
            ui_port=None,
            sandbox_port=free_port(),
            relay_port=free_port(),
            sandbox_delay=0.0,
            sandbox_config=sandbox_config,
            temporal_metrics_port=free_port(),
            # The figures measure what the platform costs against floors that call no Bird: the
            # pacing under Bird's quota (TENDLC_BIRD_RATE_LIMIT, tests/e2e/test_fleet.py) is lifted.
            extra_env={"TENDLC_BIRD_RATE_LIMIT": "100000"},
        )
        self.stack = LocalStack(self.config)
        self.bare_worker: Child | None = None
        self.client: Client | None = None
        self.requests_dir = self.home / "requests"
        self.requests_dir.mkdir(exist_ok=True)

    # -- processes ----------------------------------------------------------------------------

    def start(self) -> None:
        # Every process runs this source tree (the one `python -m bench` was started from), even
        # where the package is installed in editable mode from another checkout.
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        self.stack.start()
        self.bare_worker = self.start_child(
            "bare-worker", [sys.executable, "-m", "bench.bare_worker"], ready_log="worker started"
        )

    def stop(self) -> None:
        self.stack.stop()

    def env(self) -> dict[str, str]:
        env = {**os.environ, **self.config.env()}
        for name in ("TEMPORAL_API_KEY", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY"):
            env.pop(name, None)
        return env

    def start_child(
        self, name: str, argv: list[str], *, ready_log: str | None = None, ready_port: int | None = None
    ) -> Child:
        """Start a process beside the stack, with the stack's environment; stopped with it."""
        log = self.stack.home / "logs" / f"{name}.log"

        def ready() -> bool:
            if ready_port is not None:
                return port_in_use(ready_port)
            return ready_log is not None and log.exists() and ready_log in log.read_text(errors="replace")

        return self.stack.supervisor.start(name, argv, env=self.env(), cwd=self.stack.home, ready=ready)

    def stop_child(self, child: Child) -> None:
        from runtime.processes import stop

        stop(child.process)
        if child in self.stack.supervisor.children:
            self.stack.supervisor.children.remove(child)

    def profiling(self, name: str, processes: list[str]) -> AbstractContextManager[None]:
        """Sample these processes (by child name) with py-spy while the block runs, if profiling."""
        pids = {c.name: c.process.pid for c in self.stack.supervisor.children if c.name in processes and c.alive()}
        return profiles.recording(self.profile_dir, name, pids)

    def server_metrics(self) -> server_metrics.Sample:
        # The server reports its counters to Prometheus on an interval (about a second): wait one out,
        # so that what a run just did is counted in the reading after it and not in the next one.
        time.sleep(server_metrics.REPORT_INTERVAL)
        return server_metrics.scrape(f"http://127.0.0.1:{self.config.temporal_metrics_port}/metrics")

    def cpu(self) -> dict[str, float]:
        """CPU seconds (user + system) each process of the stack has used so far."""
        return {child.name: cpu_seconds(child.process.pid) for child in self.stack.supervisor.children if child.alive()}

    @property
    def worker_pid(self) -> int:
        assert self.stack.worker is not None
        return self.stack.worker.process.pid

    async def connect(self) -> Client:
        if self.client is None:
            self.client = await connect(TemporalSettings(_env_file=None, temporal_address=self.config.temporal_address))
        return self.client

    # -- the sandbox ----------------------------------------------------------------------------

    def sandbox(self, path: str, *, method: str = "GET", body: Any = None) -> Any:
        return self.stack.sandbox(path, method=method, body=body)

    def fresh_sandbox(self) -> None:
        """An empty workspace with full stock and zeroed request counts, subscribed to the relay."""
        self.sandbox("reset", method="POST")
        self.stack.setup_webhooks()

    def requests(self) -> dict[str, int]:
        return self.sandbox("requests")["requests"]

    def settings(self, **changes: Any) -> StarterSettings:
        """What a `tendlc` command run against the stack reads from the environment."""
        env = self.config.env()
        return StarterSettings(
            _env_file=None,
            bird_api_base_url=env["BIRD_API_BASE_URL"],
            bird_access_key=SecretStr(env["BIRD_ACCESS_KEY"]),
            bird_workspace_id=env["BIRD_WORKSPACE_ID"],
            bird_organization_id=env["BIRD_ORGANIZATION_ID"],
            **changes,
        )

    # -- onboardings ----------------------------------------------------------------------------

    def prepare(self, request: dict[str, Any], poll_min: float, poll_max: float) -> Any:
        """The workflow input the starter builds for this request (validation and pre-flight included)."""
        path = self.requests_dir / f"{request['onboarding_id']}.json"
        path.write_text(json.dumps(request))
        return prepare(str(path), self.settings(tendlc_poll_min_seconds=poll_min, tendlc_poll_max_seconds=poll_max))

    async def start_onboardings(self, inputs: list[Any], task_queue: str | None = None) -> list[WorkflowHandle]:
        """Start every onboarding through the starter's `start`, all at once."""
        client = await self.connect()
        gate = asyncio.Semaphore(START_PARALLEL)
        queue = task_queue or self.config.task_queue

        async def one(input: Any) -> WorkflowHandle:
            async with gate:
                code, handle = await start(client, input, task_queue=queue, out=io.StringIO())
            if handle is None:
                raise RuntimeError(f"{workflow_id_for(input.onboarding_id)} was not started (exit {code})")
            return handle

        return list(await asyncio.gather(*(one(i) for i in inputs)))

    async def start_bare(
        self, names: list[str], wait_seconds: float, timers_per_wait: int = 1, **recording: bool
    ) -> list[WorkflowHandle]:
        from bench.bare_workflow import BareInput, BareWorkflow

        client = await self.connect()
        gate = asyncio.Semaphore(START_PARALLEL)

        async def one(name: str) -> WorkflowHandle:
            async with gate:
                return await client.start_workflow(
                    BareWorkflow.run,
                    BareInput(name=name, wait_seconds=wait_seconds, timers_per_wait=timers_per_wait, **recording),
                    id=name,
                    task_queue=BARE_TASK_QUEUE,
                )

        return list(await asyncio.gather(*(one(n) for n in names)))


async def finish_all(handles: list[WorkflowHandle], timeout: float) -> float:
    """Wait for every workflow's result (each must succeed); returns when the last one ended."""
    async def one(handle: WorkflowHandle) -> float:
        await handle.result()
        return time.monotonic()

    ended = await asyncio.wait_for(asyncio.gather(*(one(h) for h in handles)), timeout)
    return max(ended)


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def steady_rss(pid: int, *, settle: float = 1.0, tolerance: float = 0.005, timeout: float = 30.0) -> int:
    """The process's RSS once two readings `settle` seconds apart agree within `tolerance`."""
    deadline = time.monotonic() + timeout
    last = rss_bytes(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(settle)
        now = rss_bytes(pid)
        if abs(now - last) <= tolerance * last:
            return now
        last = now
    return last


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # after the command name: state is field 3, utime and stime are fields 14 and 15 (proc(5))
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: round(after[name] - before.get(name, 0.0), 2) for name in after}
