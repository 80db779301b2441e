"""The worker process: settings from the environment and the command line, refusal without an
access key, and a graceful stop on SIGTERM / SIGINT."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.settings import WorkerSettings
from worker.cli import configure, settings_from
from worker.main import SHARED_MODULES, WorkerConfigError, sandbox_restrictions, serve

ROOT = Path(__file__).resolve().parents[2]


def args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure(parser)
    return parser.parse_args(list(argv))


def test_concurrency_comes_from_the_environment_and_flags_override_it(monkeypatch):
    monkeypatch.setenv("TENDLC_MAX_CONCURRENT_ACTIVITIES", "7")
    monkeypatch.setenv("TENDLC_MAX_CONCURRENT_WORKFLOW_TASKS", "9")
    monkeypatch.setenv("TENDLC_TASK_QUEUE", "from-env")
    worker = settings_from(args())
    assert (worker.tendlc_max_concurrent_activities, worker.tendlc_max_concurrent_workflow_tasks) == (7, 9)
    assert worker.tendlc_task_queue == "from-env"
    worker = settings_from(args("--max-concurrent-activities", "3", "--task-queue", "q"))
    assert (worker.tendlc_max_concurrent_activities, worker.tendlc_max_concurrent_workflow_tasks) == (3, 9)
    assert worker.tendlc_task_queue == "q"


def test_metrics_listen_on_loopback_unless_told_otherwise(monkeypatch):
    # like the relay: reachable from this machine only, until someone asks for more
    monkeypatch.delenv("TENDLC_METRICS_HOST", raising=False)
    assert settings_from(args("--metrics-port", "9464")).tendlc_metrics_host == "127.0.0.1"
    monkeypatch.setenv("TENDLC_METRICS_HOST", "10.0.0.5")
    assert settings_from(args()).tendlc_metrics_host == "10.0.0.5"
    assert settings_from(args("--metrics-host", "0.0.0.0")).tendlc_metrics_host == "0.0.0.0"


async def test_no_access_key_no_worker():
    with pytest.raises(WorkerConfigError, match="BIRD_ACCESS_KEY"):
        await serve(WorkerSettings(_env_file=None, bird_access_key=None))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_worker_process_stops_gracefully_on_a_signal(dev_env, sig, tmp_path):
    address = dev_env.client.service_client.config.target_host
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "TENDLC_TASK_QUEUE": f"worker-test-{sig.name}",
        "BIRD_ACCESS_KEY": "the-access-key",
        "BIRD_API_BASE_URL": "http://127.0.0.1:9",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "worker"], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while "worker started" not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.1)
        process.send_signal(sig)
        assert process.wait(30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
    text = log.read_text()
    assert "stopping: activities in flight get 20s to finish" in text and "worker stopped" in text
    assert "the-access-key" not in text


def test_the_workflow_cache_is_sized_by_its_setting(monkeypatch):
    monkeypatch.setenv("TENDLC_MAX_CACHED_WORKFLOWS", "123")
    settings = settings_from(args())
    assert settings.tendlc_max_cached_workflows == 123
    assert WorkerSettings.model_fields["tendlc_max_cached_workflows"].default == 500


def test_the_sandbox_shares_our_deterministic_modules():
    restrictions = sandbox_restrictions()
    for name in SHARED_MODULES:
        assert name in restrictions.passthrough_modules
    assert "datetime" in restrictions.invalid_module_members.children  # the default restrictions stay


async def test_the_bird_queue_is_paced_for_every_worker_together(monkeypatch, dev_env):
    from activities import onboarding_activities
    from bird.client import BirdClient
    from worker.main import BIRD_RATE_SHARE, bird_activities_per_second, build_bird_worker

    monkeypatch.setenv("TENDLC_BIRD_RATE_LIMIT", "30")
    settings = WorkerSettings(_env_file=None, tendlc_task_queue="fleet")
    assert settings.tendlc_bird_rate_limit == 30 and settings.bird_task_queue == "fleet-bird"
    assert WorkerSettings(_env_file=None).tendlc_bird_rate_limit == 30
    monkeypatch.delenv("TENDLC_BIRD_RATE_LIMIT")
    assert WorkerSettings(_env_file=None).tendlc_bird_rate_limit == 20  # the default
    async with BirdClient("key", base_url="http://bird.invalid") as bird:
        config = build_bird_worker(dev_env.client, bird, settings=settings).config()
    assert config["task_queue"] == "fleet-bird"
    # Temporal's task-queue rate limit: activities/s, one Bird request each, a tenth below the quota
    assert BIRD_RATE_SHARE == 0.9
    assert config["max_task_queue_activities_per_second"] == 30 * BIRD_RATE_SHARE == bird_activities_per_second(settings)
    assert {a.__name__ for a in config["activities"]} == {a.__name__ for a in onboarding_activities(bird)}
    assert not config.get("workflows")


async def test_the_workflow_queue_runs_the_notify_activity_beside_the_onboardings(dev_env):
    # The run's last notification is a local activity (workflows/notify.py): it runs on the worker
    # that runs the workflow, so that worker must have the activity.
    from bird.client import BirdClient
    from worker.main import build_worker
    from workflows.onboarding import OnboardingWorkflow

    settings = WorkerSettings(_env_file=None, tendlc_task_queue="fleet")
    async with BirdClient("key", base_url="http://bird.invalid") as bird:
        config = build_worker(dev_env.client, bird, task_queue="fleet", settings=settings).config()
    assert OnboardingWorkflow in config["workflows"]
    assert "notify" in {a.__name__ for a in config["activities"]}
