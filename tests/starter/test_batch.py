"""`tendlc start FILE...` with batches: every problem as FILE[:LINE] before anything starts,
duplicate ids, a re-run that starts only what is not running, and `--wait` over the whole batch."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import uuid
from pathlib import Path

import pytest
from temporalio.service import RPCError, RPCStatusCode

from runtime.settings import StarterSettings
from starter import batch as batch_module, start as start_module
from starter.batch import BatchRefused, Entry, batch_exit_code, follow_batch, prepare_batch, start_batch
from starter.start import EXIT_ENDED, EXIT_NEEDS_ACTION, EXIT_OK, EXIT_REFUSED, EXIT_UNAVAILABLE
from tests.starter.test_start import IDS
from tests.workflows.fake_bird import FakeBird
from tests.workflows.helpers import onboarding_worker, request_data
from workflows.contract import Step, workflow_id_for
from workflows.onboarding import OnboardingWorkflow


def jsonl(tmp_path: Path, name: str, rows: list) -> str:
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return str(path)


def fleet(n: int) -> list[dict]:
    return [request_data() for _ in range(n)]


def test_a_jsonl_batch_becomes_one_entry_per_line(tmp_path):
    rows = fleet(3)
    path = jsonl(tmp_path, "fleet.jsonl", [rows[0], "", rows[1], rows[2]])
    entries = prepare_batch([path], IDS)
    assert [e.source for e in entries] == [f"{path}:1", f"{path}:3", f"{path}:4"]
    assert [e.input.onboarding_id for e in entries] == [r["onboarding_id"] for r in rows]


def test_every_problem_is_named_by_file_and_line(tmp_path):
    rows = fleet(4)
    del rows[1]["connector"]
    rows[3]["onboarding_id"] = rows[0]["onboarding_id"]
    path = jsonl(tmp_path, "fleet.jsonl", [rows[0], rows[1], "{not json", rows[3]])
    single = request_data()
    single["brand"]["ein"] = "12"
    single_path = tmp_path / "one.json"
    single_path.write_text(json.dumps(single))
    with pytest.raises(BatchRefused) as refused:
        prepare_batch([path, str(single_path), str(tmp_path / "missing.jsonl")], IDS)
    problems = refused.value.problems
    assert f"{path}:2: connector: Field required" in problems
    assert any(p.startswith(f"{path}:3: (request): not valid JSON:") for p in problems)
    assert any(p.startswith(f"{single_path}: brand.ein:") for p in problems)
    assert f"{tmp_path / 'missing.jsonl'}: file not found" in problems
    assert f"{path}:4: onboarding_id: {rows[0]['onboarding_id']!r} is also the id at {path}:1" in problems
    assert not any(p.startswith(f"{path}:1:") for p in problems)


def test_duplicates_across_files_name_both_places(tmp_path):
    row = request_data()
    a, b = jsonl(tmp_path, "a.jsonl", [row]), jsonl(tmp_path, "b.jsonl", [request_data(), row])
    with pytest.raises(BatchRefused) as refused:
        prepare_batch([a, b], IDS)
    assert refused.value.problems == [f"{b}:2: onboarding_id: {row['onboarding_id']!r} is also the id at {a}:1"]


def test_a_refused_batch_exits_2_and_starts_nothing(tmp_path, capsys, monkeypatch):
    rows = fleet(3)
    rows[2]["campaign"]["description"] = "short"
    path = jsonl(tmp_path, "fleet.jsonl", rows)

    async def no_temporal(*args, **kwargs):
        raise AssertionError("Temporal was contacted for a refused batch")

    monkeypatch.setattr(start_module, "connect", no_temporal)
    monkeypatch.setattr(start_module, "StarterSettings", lambda: IDS)
    args = argparse.Namespace(files=[path], wait=False, interval=1.0, concurrency=4)
    assert start_module.run(args) == EXIT_REFUSED
    err = capsys.readouterr().err
    assert "nothing was started" in err and f"  {path}:3: campaign.description:" in err


def entries(n: int) -> list[Entry]:
    return [Entry(f"fleet.jsonl:{i + 1}", start_module.prepare_data(r, f"fleet.jsonl:{i + 1}", IDS)) for i, r in enumerate(fleet(n))]


async def test_a_rerun_starts_only_what_is_not_running(dev_env):
    # no worker on the queue: the first three stay open
    queue = f"tq-{uuid.uuid4()}"
    first = entries(3)
    started = await start_batch(dev_env.client, first, task_queue=queue, concurrency=2)
    assert started.started == [e.input.onboarding_id for e in first] and not started.running
    rerun = first + entries(2)
    again = await start_batch(dev_env.client, rerun, task_queue=queue, concurrency=2)
    assert again.running == [e.input.onboarding_id for e in first]
    assert again.started == [e.input.onboarding_id for e in rerun[3:]]
    out = io.StringIO()
    batch_module.print_started(again, out)
    assert "started 2 onboarding(s)" in out.getvalue()
    assert all(f"  {e.input.onboarding_id}\n" in out.getvalue() for e in first)
    for e in rerun:
        await dev_env.client.get_workflow_handle(workflow_id_for(e.input.onboarding_id)).terminate("test over")


async def test_a_batch_starts_nothing_when_no_worker_can_say_what_an_earlier_run_recorded(dev_env, capsys):
    # One onboarding of the batch had a run (generation 4: no memo) that was terminated; no worker
    # runs, so what it bought cannot be read: starting it could buy again, and starting only the
    # others would leave a batch half started, so none starts (as with a refused request).
    earlier, fresh = entries(2)
    async with onboarding_worker(dev_env.client, FakeBird().activities()) as queue:  # the brand stays PENDING
        handle = await start_module.start_workflow(dev_env.client, earlier.input, task_queue=queue)
        while (await handle.query(OnboardingWorkflow.status)).step != Step.AWAIT_BRAND:
            await asyncio.sleep(0.05)
    await handle.terminate("stopped by mistake")
    settings = StarterSettings(
        _env_file=None, temporal_address=dev_env.client.service_client.config.target_host, tendlc_task_queue=queue,
        bird_workspace_id="ws-env", bird_organization_id="org-env",
    )  # fmt: skip
    args = argparse.Namespace(concurrency=32, wait=False, interval=1.0)
    code = await start_module.start_and_follow_batch([earlier, fresh], settings, args, out=io.StringIO())

    assert code == EXIT_UNAVAILABLE
    err = capsys.readouterr().err
    assert "nothing was started" in err
    assert f"  {earlier.input.onboarding_id}: not started: its earlier run {handle.result_run_id} ended TERMINATED" in err
    assert "a worker must be running to read what that run recorded" in err and fresh.input.onboarding_id not in err
    latest = await dev_env.client.get_workflow_handle(handle.id).describe()
    assert latest.run_id == handle.result_run_id  # not started again
    with pytest.raises(RPCError) as missing:
        await dev_env.client.get_workflow_handle(workflow_id_for(fresh.input.onboarding_id)).describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND


def test_batch_exit_codes():
    assert batch_exit_code({"a": "DONE", "b": "DONE"}) == EXIT_OK
    assert batch_exit_code({"a": "DONE", "b": "NEEDS_ACTION", "c": "FAILED"}) == EXIT_NEEDS_ACTION
    assert batch_exit_code({"a": "DONE", "b": "CANCELLED"}) == EXIT_ENDED


async def test_wait_follows_the_batch_until_all_done(dev_env):
    bird = FakeBird(brand="APPROVED", vetting="APPROVED", campaign="APPROVED", connector="ok")
    batch = entries(4)
    out = io.StringIO()
    async with onboarding_worker(dev_env.client, bird.activities()) as queue:
        started = await start_batch(dev_env.client, batch, task_queue=queue)
        code = await asyncio.wait_for(follow_batch(dev_env.client, started.onboarding_ids, interval=0.2, out=out), 60)
    assert code == EXIT_OK, out.getvalue()
    assert "4/4 settled  DONE 4" in out.getvalue().splitlines()[-1]


async def test_wait_exits_4_when_any_needs_action_and_names_it(dev_env):
    bird = FakeBird(brand="REJECTED", vetting="APPROVED", campaign="APPROVED", connector="ok")
    batch = entries(2)
    out = io.StringIO()
    async with onboarding_worker(dev_env.client, bird.activities()) as queue:
        started = await start_batch(dev_env.client, batch, task_queue=queue)
        code = await asyncio.wait_for(follow_batch(dev_env.client, started.onboarding_ids, interval=0.2, out=out), 60)
    assert code == EXIT_NEEDS_ACTION, out.getvalue()
    for e in batch:
        assert f"NEEDS_ACTION: {e.input.onboarding_id} (see `tendlc status {e.input.onboarding_id}`)" in out.getvalue()
        await dev_env.client.get_workflow_handle(workflow_id_for(e.input.onboarding_id)).terminate("test over")


@pytest.mark.slow
async def test_validating_and_starting_1000_is_quick(dev_env, tmp_path):
    import time

    path = jsonl(tmp_path, "fleet.jsonl", fleet(1000))
    began = time.perf_counter()
    batch = prepare_batch([path], IDS)
    validated = time.perf_counter() - began
    started = await start_batch(dev_env.client, batch, task_queue=f"tq-{uuid.uuid4()}")  # no worker
    total = time.perf_counter() - began
    print(f"\n1,000 requests: validated in {validated:.1f} s, validated and started in {total:.1f} s")
    assert len(started.started) == 1000
    assert total < 60
    for e in batch:
        await dev_env.client.get_workflow_handle(workflow_id_for(e.input.onboarding_id)).terminate("test over")


async def test_wait_rides_out_a_visibility_call_that_times_out():
    from types import SimpleNamespace

    from temporalio.client import WorkflowExecutionStatus
    from temporalio.common import SearchAttributePair, TypedSearchAttributes
    from temporalio.service import RPCError, RPCStatusCode

    from workflows.contract import STEP

    class FlakyVisibility:
        calls = 0

        async def list_workflows(self, query, rpc_timeout=None):
            FlakyVisibility.calls += 1
            if FlakyVisibility.calls == 1:
                raise RPCError("Timeout expired", RPCStatusCode.DEADLINE_EXCEEDED, b"")
            yield SimpleNamespace(
                id=workflow_id_for("a"), status=WorkflowExecutionStatus.COMPLETED,
                typed_search_attributes=TypedSearchAttributes([SearchAttributePair(STEP, "DONE")]),
            )  # fmt: skip

    out = io.StringIO()
    assert await follow_batch(FlakyVisibility(), ["a"], interval=0.01, out=out) == EXIT_OK
    assert "visibility did not answer (Timeout expired); asking again" in out.getvalue()
