"""The worker's Prometheus endpoint on a live stack: the SDK's metrics, Bird calls by operation and
outcome, onboardings by step (one parked awaiting its brand), and approval wait durations."""

from __future__ import annotations

import asyncio
import re
import urllib.request

import pytest

from runtime.stack import LocalStack
from tests.e2e.stack_helpers import free_port, run_cli, stack_config, unique_request

pytestmark = pytest.mark.e2e


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def value(text: str, name: str, **labels: str) -> float | None:
    """The sample of `name` whose labels include `labels` (Prometheus text format)."""
    for line in text.splitlines():
        match = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            return float(match.group(2))
    return None


async def test_the_worker_exports_sdk_and_onboarding_metrics(tmp_path):
    port = free_port()
    config = stack_config(tmp_path / "stack", sandbox_delay=0.2, worker_metrics_port=port,
                          extra_env={"TENDLC_METRICS_INTERVAL_SECONDS": "0.3"})  # fmt: skip
    with LocalStack(config) as stack:
        done_path, _ = unique_request(tmp_path)
        code, output = await run_cli(config, "start", str(done_path), "--wait", "--interval", "0.2")
        assert code == 0, output
        held_path, held = unique_request(tmp_path)
        stack.sandbox("scenario/overrides", method="POST", body={
            "kind": "brand", "match": {"displayName": held["brand"]["displayName"]}, "count": 1,
            "reviews": {"outcome": "hold"},
        })  # fmt: skip
        code, output = await run_cli(config, "start", str(held_path))
        assert code == 0, output

        text = ""
        for _ in range(50):  # the gauge is refreshed every 0.3 s
            text = scrape(port)
            if value(text, "tendlc_onboardings", step="AWAIT_BRAND") == 1:
                break
            await asyncio.sleep(0.2)
        assert value(text, "tendlc_onboardings", step="AWAIT_BRAND") == 1
        assert value(text, "tendlc_onboardings", step="AWAIT_CAMPAIGN") == 0
        # one create of each kind per onboarding; the held one has bought a number and created a brand
        assert value(text, "tendlc_bird_api_calls", operation="create_campaign", outcome="201") == 1
        assert value(text, "tendlc_bird_api_calls", operation="create_brand", outcome="201") == 2
        assert value(text, "tendlc_bird_api_calls", operation="buy_numbers", outcome="201") == 2
        assert value(text, "tendlc_approval_wait_seconds_count", step="AWAIT_CAMPAIGN") == 1
        assert value(text, "tendlc_approval_wait_seconds_count", step="AWAIT_BRAND") == 1
        assert value(text, "tendlc_steps_finished", step="DONE", outcome="done") == 1
        assert value(text, "temporal_activity_execution_latency_count", activity_type="create_brand") == 2
