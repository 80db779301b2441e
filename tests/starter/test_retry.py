"""`tendlc retry`: a corrections file is checked before anything is sent (every field error, exit
2), and the `retry` Update goes out by its contract name with `{"corrections", "confirm_new_fee"}`,
its outcome printed like the other operator commands. The workflow side is a stand-in here that
records what it received; the real handler is the workflow's `retry` (workflows/onboarding.py)."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from starter.cli import main
from starter.retry import load_corrections, retry_argument
from workflows.contract import Step, workflow_id_for
from workflows.failures import refused
from workflows.messages import ActionResult


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "corrections.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_every_bad_field_is_listed_and_nothing_is_sent(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")  # nothing listens: nothing may be sent
    path = write(tmp_path, {
        "number": {"prefix": ""}, "vetting": {"class": "PREMIUM"},
        "connector": {"channelMessageType": "marketing"}, "brand": {},
    })  # fmt: skip
    assert main(["retry", "acme-sms", "--file", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].endswith("not sent")
    fields = [line.split(":")[0].strip() for line in lines[1:]]
    assert fields == ["number.prefix", "vetting.class", "connector.channelMessageType", "brand"]
    assert "'promotional', 'transactional', 'conversational', 'emergency' or '2fa'" in "\n".join(lines)


@pytest.mark.parametrize("content", ["[1]", "{nope", '{"a": 1, "a": 2}'])
def test_a_file_that_is_not_a_corrections_object_is_refused(tmp_path, content):
    err = io.StringIO()
    assert load_corrections(write(tmp_path, content), err) is None
    assert len(err.getvalue().splitlines()) == 1


def test_the_argument_carries_the_consent_from_the_flag_or_the_file():
    assert retry_argument({}, False) == {"corrections": {}, "confirm_new_fee": False}
    assert retry_argument({"vetting": {"class": "STANDARD"}, "confirm_new_fee": True}, False) == {
        "corrections": {"vetting": {"class": "STANDARD"}}, "confirm_new_fee": True}  # fmt: skip
    assert retry_argument({"number": {"prefix": "415"}}, True)["confirm_new_fee"] is True


@workflow.defn(name="OnboardingWorkflow")
class RetryStandIn:
    """Answers `retry` the way the onboarding does: refuses without consent, else accepts."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    @workflow.run
    async def run(self, _: Any) -> None:
        await workflow.wait_condition(lambda: len(self.received) > 0 and workflow.all_handlers_finished())

    @workflow.update(name="retry")
    async def retry(self, arg: dict[str, Any]) -> ActionResult:
        self.received.append(arg)
        return ActionResult(action="retry", done=f"vetting retried with {sorted(arg['corrections'])}",
                            step=Step.VETTING, notes=[json.dumps(arg, sort_keys=True)])  # fmt: skip

    @retry.validator
    def _fits(self, arg: dict[str, Any]) -> None:
        if "vetting" in arg["corrections"] and not arg["confirm_new_fee"]:
            raise refused("a new vetting is billed again: add --confirm-new-fee")


async def test_retry_sends_the_update_and_prints_its_outcome(dev_env, tmp_path, monkeypatch, capsys):
    client = dev_env.client
    ident = f"retry-{uuid.uuid4().hex[:8]}"
    queue = f"tq-{ident}"
    monkeypatch.setenv("TEMPORAL_ADDRESS", client.service_client.config.target_host)
    path = write(tmp_path, {"vetting": {"class": "STANDARD"}, "connector": {"channelMessageType": "2fa"}})
    # unsandboxed: the stand-in lives beside CLI imports the workflow sandbox would refuse
    async with Worker(client, task_queue=queue, workflows=[RetryStandIn], workflow_runner=UnsandboxedWorkflowRunner()):
        await client.start_workflow("OnboardingWorkflow", {}, id=workflow_id_for(ident), task_queue=queue)
        code = await asyncio.to_thread(main, ["retry", ident, "--file", str(path)])
        assert code == 2
        assert capsys.readouterr().out.strip() == "refused: a new vetting is billed again: add --confirm-new-fee"
        assert await asyncio.to_thread(main, ["retry", ident, "--file", str(path), "--confirm-new-fee"]) == 0
        out = capsys.readouterr().out.splitlines()
    assert out[0] == "accepted: vetting retried with ['connector', 'vetting']" and out[1] == "step: VETTING"
    sent = json.loads(out[2].removeprefix("note: "))
    assert sent == {"corrections": {"vetting": {"class": "STANDARD"}, "connector": {"channelMessageType": "2fa"}},
                    "confirm_new_fee": True}  # fmt: skip


def test_an_unknown_onboarding_is_exit_3(dev_env, monkeypatch, capsys):
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    assert main(["retry", f"never-{uuid.uuid4().hex[:6]}"]) == 3
