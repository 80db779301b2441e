"""`tendlc worker` (and `python -m worker`): run the Temporal worker with settings from the environment."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bird.config import BirdSettings
from starter.connection import TemporalSettings
from worker.main import WorkerConfigError, serve
from worker.settings import WorkerSettings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task-queue", help="task queue to poll (default: TENDLC_TASK_QUEUE or bird-10dlc)")
    parser.add_argument(
        "--max-concurrent-activities", type=int, help="default: TENDLC_MAX_CONCURRENT_ACTIVITIES or 50"
    )
    parser.add_argument(
        "--max-concurrent-workflow-tasks", type=int, help="default: TENDLC_MAX_CONCURRENT_WORKFLOW_TASKS or 50"
    )
    parser.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port (TENDLC_METRICS_PORT)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def settings_from(args: argparse.Namespace) -> tuple[TemporalSettings, BirdSettings, WorkerSettings]:
    """Environment first, then whatever the command line overrides."""
    temporal, bird, worker = TemporalSettings(), BirdSettings(), WorkerSettings()
    if args.task_queue:
        temporal = temporal.model_copy(update={"tendlc_task_queue": args.task_queue})
    overrides = {
        "tendlc_max_concurrent_activities": args.max_concurrent_activities,
        "tendlc_max_concurrent_workflow_tasks": args.max_concurrent_workflow_tasks,
        "tendlc_metrics_port": args.metrics_port,
    }
    worker = WorkerSettings.model_validate({**worker.model_dump(), **{k: v for k, v in overrides.items() if v is not None}})
    return temporal, bird, worker


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr
    )
    # httpx logs every request URL at INFO; the worker's own lines say what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        temporal, bird, worker = settings_from(args)
        asyncio.run(serve(temporal, bird, worker))
    except (WorkerConfigError, ValueError) as exc:
        print(f"tendlc worker: {exc}", file=sys.stderr)
        return 2
    return 0
