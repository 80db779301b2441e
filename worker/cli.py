"""`tendlc worker` (and `python -m worker`): run the Temporal worker with settings from the environment."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from runtime.settings import WorkerSettings
from worker.main import WorkerConfigError, serve


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task-queue", help="task queue to poll (default: TENDLC_TASK_QUEUE or bird-10dlc)")
    parser.add_argument(
        "--max-concurrent-activities", type=int, help="default: TENDLC_MAX_CONCURRENT_ACTIVITIES or 50"
    )
    parser.add_argument(
        "--max-concurrent-workflow-tasks", type=int, help="default: TENDLC_MAX_CONCURRENT_WORKFLOW_TASKS or 50"
    )
    parser.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port (TENDLC_METRICS_PORT)")
    parser.add_argument(
        "--metrics-host", help="the address metrics listen on (TENDLC_METRICS_HOST; default 127.0.0.1)"
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def settings_from(args: argparse.Namespace) -> WorkerSettings:
    """Environment first, then whatever the command line overrides."""
    overrides = {
        "tendlc_task_queue": args.task_queue,
        "tendlc_max_concurrent_activities": args.max_concurrent_activities,
        "tendlc_max_concurrent_workflow_tasks": args.max_concurrent_workflow_tasks,
        "tendlc_metrics_port": args.metrics_port,
        "tendlc_metrics_host": args.metrics_host,
    }
    given = {name: value for name, value in overrides.items() if value is not None}
    return WorkerSettings.model_validate({**WorkerSettings().model_dump(), **given})


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr
    )
    # httpx logs every request URL at INFO; the worker's own lines say what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        asyncio.run(serve(settings_from(args)))
    except (WorkerConfigError, ValueError) as exc:
        print(f"tendlc worker: {exc}", file=sys.stderr)
        return 2
    return 0
