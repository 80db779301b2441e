"""`tendlc start`: every problem listed before anything starts, ids from the environment,
pre-flight errors and warnings, refusal of a second start, and `--wait` following the steps."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runtime.settings import StarterSettings
from starter import start as start_module
from starter.start import (
    EXIT_ALREADY_OPEN,
    EXIT_NEEDS_ACTION,
    EXIT_OK,
    EXIT_REFUSED,
    Refused,
    earlier_record,
    follow,
    prepare,
    start,
    start_workflow,
)
from tests.workflows.fake_bird import FakeBird
from tests.workflows.helpers import onboarding_worker, request_data
from workflows.contract import ONBOARDING_ID, STEP, Step, workflow_id_for
from workflows.kinds import Kind
from workflows.memo import Recorded
from workflows.state import OnboardingState

POLL = dict(tendlc_poll_min_seconds=60, tendlc_poll_max_seconds=3600)
IDS = StarterSettings(_env_file=None, bird_workspace_id="ws-env", bird_organization_id="org-env", **POLL)
NO_IDS = StarterSettings(_env_file=None, bird_workspace_id=None, bird_organization_id=None, **POLL)


def write(tmp_path: Path, data: dict) -> str:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_every_problem_is_listed_at_once(tmp_path):
    data = request_data()
    data["onboarding_id"] = "not valid!"
    del data["brand"]["ein"]
    data["campaign"]["description"] = "short"
    with pytest.raises(Refused) as refused:
        prepare(write(tmp_path, data), NO_IDS)
    problems = refused.value.problems
    assert any(p.startswith("onboarding_id:") for p in problems)
    assert any(p.startswith("brand.ein:") for p in problems)
    assert any(p.startswith("campaign.description:") for p in problems)
    assert "workspace_id: not in the request, and BIRD_WORKSPACE_ID is not set" in problems
    assert "organization_id: not in the request, and BIRD_ORGANIZATION_ID is not set" in problems


def test_run_exits_2_and_prints_each_problem(tmp_path, capsys):
    data = request_data()
    del data["connector"]
    path = write(tmp_path, data)
    code = start_module.run(argparse.Namespace(files=[path], wait=False, interval=1.0, concurrency=32))
    err = capsys.readouterr().err
    assert code == EXIT_REFUSED
    assert "not started" in err and f"  {path}: connector: Field required" in err


def test_ids_come_from_the_environment_unless_the_request_has_them(tmp_path):
    filled = prepare(write(tmp_path, request_data()), IDS)
    assert (filled.workspace_id, filled.organization_id) == ("ws-env", "org-env")
    assert (filled.poll.min_seconds, filled.poll.max_seconds) == (60, 3600)
    own = prepare(write(tmp_path, request_data(workspace_id="ws-own", organization_id="org-own")), NO_IDS)
    assert (own.workspace_id, own.organization_id) == ("ws-own", "org-own")


def test_only_the_missing_id_is_named(tmp_path):
    with pytest.raises(Refused) as refused:
        prepare(write(tmp_path, request_data(workspace_id="ws-own")), NO_IDS)
    assert refused.value.problems == ["organization_id: not in the request, and BIRD_ORGANIZATION_ID is not set"]


def test_poll_settings_must_make_sense(tmp_path):
    wrong = IDS.model_copy(update={"tendlc_poll_min_seconds": 100, "tendlc_poll_max_seconds": 10})
    with pytest.raises(Refused) as refused:
        prepare(write(tmp_path, request_data()), wrong)
    assert refused.value.problems == ["TENDLC_POLL_MAX_SECONDS: must not be below TENDLC_POLL_MIN_SECONDS"]


def test_preflight_errors_refuse_and_warnings_are_recorded(tmp_path):
    data = request_data()
    data["campaign"]["description"] = "Lorem ipsum dolor sit amet, appointment reminders for Acme Plumbing customers."
    with pytest.raises(Refused) as refused:
        prepare(write(tmp_path, data), IDS)
    assert any("[" in p and "campaign.description" in p for p in refused.value.problems)

    data = request_data()
    data["brand"]["email"] = "acmeplumbing@gmail.com"
    input = prepare(write(tmp_path, data), IDS)
    assert "BRAND_EMAIL_PUBLIC_DOMAIN" in {w.rule_id for w in input.warnings}


async def test_a_second_start_of_an_open_onboarding_is_refused_naming_its_run(dev_env, tmp_path):
    # on the dev server: a workflow task no worker picks up would stall the time-skipping clock
    input = prepare(write(tmp_path, request_data()), IDS)
    first_out, second_out = io.StringIO(), io.StringIO()
    code, handle = await start(dev_env.client, input, task_queue=f"tq-{uuid.uuid4()}", out=first_out)
    assert code == EXIT_OK and handle.id == workflow_id_for(input.onboarding_id)
    assert f"started {handle.id} (run {handle.result_run_id})" in first_out.getvalue()
    described = await handle.describe()
    assert described.typed_search_attributes.get(ONBOARDING_ID) == input.onboarding_id
    assert described.typed_search_attributes.get(STEP) == Step.BUY_NUMBER

    code, again = await start(dev_env.client, input, task_queue="elsewhere", out=second_out)
    assert (code, again) == (EXIT_ALREADY_OPEN, None)
    assert f"refused: {handle.id} is already open in run {handle.result_run_id}" in second_out.getvalue()
    await handle.terminate("test over")


async def test_wait_prints_each_step_and_exits_0_on_done(ts_env, tmp_path):
    bird = FakeBird(brand="APPROVED", vetting="APPROVED", campaign="APPROVED", connector="ok")
    input = prepare(write(tmp_path, request_data()), IDS)
    out = io.StringIO()
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        code, handle = await start(ts_env.client, input, task_queue=queue, out=out)
        assert await asyncio.wait_for(follow(handle, interval=0.05, out=out), 30) == EXIT_OK
        # let the run complete while a worker is there: an open workflow task would hold the
        # time-skipping server's clock for every later test
        await handle.result()
    lines = out.getvalue().splitlines()
    for step in ("BUY_NUMBER", "REGISTER_BRAND", "VETTING", "CREATE_CAMPAIGN", "INSTALL_CONNECTOR", "AWAIT_READY"):
        assert any(line.split()[2:4] == [step, "done"] for line in lines), step
    assert lines[-1].startswith("DONE: channel ")


async def test_wait_exits_4_on_needs_action_with_the_reason(ts_env, tmp_path):
    bird = FakeBird(vetting="APPROVED", connector="ok")
    bird.decide("brand", "REJECTED", after=timedelta(hours=1), reason="EIN does not match")
    input = prepare(write(tmp_path, request_data()), IDS)
    out = io.StringIO()
    async with onboarding_worker(ts_env.client, bird.activities()) as queue:
        code, handle = await start(ts_env.client, input, task_queue=queue, out=out)
        await ts_env.sleep(timedelta(days=1))
        assert await asyncio.wait_for(follow(handle, interval=0.05, out=out), 30) == EXIT_NEEDS_ACTION
        await handle.terminate("test over")
    text = out.getvalue()
    assert any(line.split()[2:4] == ["AWAIT_BRAND", "blocked"] for line in text.splitlines())
    assert "NEEDS_ACTION: brand" in text and "EIN does not match" in text


async def test_a_completed_onboarding_is_not_started_again(dev_env, tmp_path):
    # a second run would buy a second number: the first one is done, nothing to redo
    bird = FakeBird(brand="APPROVED", vetting="APPROVED", campaign="APPROVED", connector="ok")
    input = prepare(write(tmp_path, request_data()), IDS)
    out = io.StringIO()
    async with onboarding_worker(dev_env.client, bird.activities()) as queue:
        code, handle = await start(dev_env.client, input, task_queue=queue, out=out)
        assert (await handle.result()).step == Step.DONE
        code, again = await start(dev_env.client, input, task_queue=queue, out=out)
    assert (code, again) == (EXIT_ALREADY_OPEN, None)
    assert f"refused: {handle.id} already completed in run {handle.result_run_id}" in out.getvalue()


async def test_a_run_terminated_before_it_ran_is_started_again_without_a_worker(dev_env, tmp_path):
    # Temporal refuses to query a run closed before its first workflow task; such a run issued no
    # command, so it bought nothing: the new run starts afresh, worker or not.
    input = prepare(write(tmp_path, request_data()), IDS)
    queue = f"tq-{uuid.uuid4()}"  # no worker
    code, first = await start(dev_env.client, input, task_queue=queue, out=io.StringIO())
    assert code == EXIT_OK and first is not None
    await first.terminate("stopped before it ran")
    out = io.StringIO()
    code, second = await start(dev_env.client, input, task_queue=queue, out=out)
    assert code == EXIT_OK and second is not None, out.getvalue()
    assert second.result_run_id != first.result_run_id
    assert "starts from what it recorded" not in out.getvalue()
    await second.terminate("test over")


async def test_a_run_continued_as_new_and_terminated_before_it_ran_passes_on_the_state_it_was_handed(dev_env, tmp_path):
    # A continue-as-new hands the next run the whole state; terminated before its first workflow
    # task, that run cannot be queried, and what it holds is exactly its input.
    input = prepare(write(tmp_path, request_data()), IDS)
    now = datetime.now(UTC)
    state = OnboardingState(onboarding_id=input.onboarding_id, started_at=now, updated_at=now, run=2)
    state.objects.number.id, state.objects.brand.id = "number-1", "brand-1"
    state.scheduled = {"number": now, "brand": now}
    state.charge(Kind.NUMBER, "number-1", now)
    state.charge(Kind.BRAND, "brand-1", now)
    queue = f"tq-{uuid.uuid4()}"  # no worker: the run never takes a workflow task
    handle = await start_workflow(dev_env.client, input.model_copy(update={"state": state}), task_queue=queue)
    await handle.terminate("stopped before it ran")
    recorded = await earlier_record(dev_env.client, handle.id, query_timeout=1)
    assert recorded is not None
    assert recorded.ids == {Kind.NUMBER: "number-1", Kind.BRAND: "brand-1"}
    assert [c.kind for c in recorded.charges] == [Kind.NUMBER, Kind.BRAND]

    # the same for a run started from an earlier run's record (`prior`) that never ran either
    prior = Recorded(ids={Kind.NUMBER: "number-2"})
    second = await start_workflow(dev_env.client, input, task_queue=queue, prior=prior)
    await second.terminate("stopped before it ran")
    assert await earlier_record(dev_env.client, second.id, query_timeout=1) == prior
