"""`tendlc start --accept RULE` and the request's `accept`: an overridden pre-flight error no
longer refuses the start and is kept in the status, marked accepted; an unknown rule id is refused
listing the valid ones."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import pytest

from intake.preflight import RULES
from runtime.settings import StarterSettings
from starter import start as start_module
from starter.cli import main
from starter.start import EXIT_REFUSED, Refused, prepare
from tests.workflows.fake_bird import FakeBird
from tests.workflows.helpers import onboarding_worker, request_data, start
from workflows.contract import Step

IDS = StarterSettings(bird_workspace_id="ws", bird_organization_id="org")
PLACEHOLDER = "CAMPAIGN_PLACEHOLDER_TEXT"


def with_placeholder(tmp_path: Path, **changes) -> str:
    data = request_data(**changes)
    data["campaign"]["samples"][1] = "Acme Plumbing: this is a test. Reply STOP to opt out."
    path = tmp_path / "request.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_an_error_refuses_until_its_rule_is_accepted(tmp_path):
    path = with_placeholder(tmp_path)
    with pytest.raises(Refused) as refused:
        prepare(path, IDS)
    assert any(PLACEHOLDER in p for p in refused.value.problems)
    input = prepare(path, IDS, [PLACEHOLDER])
    assert [(w.rule_id, w.field, w.accepted) for w in input.warnings] == [(PLACEHOLDER, "campaign.samples[1]", True)]


def test_the_request_can_accept_a_rule_itself(tmp_path):
    input = prepare(with_placeholder(tmp_path, accept=[PLACEHOLDER]), IDS)
    assert [w.accepted for w in input.warnings] == [True]


def test_an_unknown_rule_id_is_refused_listing_the_valid_ones(tmp_path, capsys):
    path = with_placeholder(tmp_path)
    args = argparse.Namespace(files=[path], wait=False, interval=1.0, concurrency=32, accept=["NOT_A_RULE"])
    assert start_module.run(args) == EXIT_REFUSED
    err = capsys.readouterr().err
    assert "accept: unknown rule id 'NOT_A_RULE'; valid: " in err
    assert all(rule.id in err for rule in RULES)
    assert main(["check", path, "--accept", "NOPE"]) == 2
    assert "unknown rule id 'NOPE'" in capsys.readouterr().out


def test_check_shows_an_accepted_error_and_exits_0(tmp_path, capsys):
    path = with_placeholder(tmp_path)
    assert main(["check", path]) == 1
    capsys.readouterr()
    assert main(["check", path, "--accept", PLACEHOLDER]) == 0
    out = capsys.readouterr().out
    assert "0 errors, 0 warnings, 1 accepted" in out and f"accepted {PLACEHOLDER}" in out


async def test_an_accepted_finding_is_recorded_in_the_status(dev_env, tmp_path, monkeypatch, capsys):
    input = prepare(with_placeholder(tmp_path), IDS, [PLACEHOLDER])
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    bird = FakeBird()  # decides nothing: the onboarding waits for its brand
    async with onboarding_worker(dev_env.client, bird.activities()) as queue:
        handle = await start(dev_env.client, input, queue)
        for _ in range(100):
            code = await asyncio.to_thread(main, ["status", input.onboarding_id, "--json"])
            view = json.loads(capsys.readouterr().out)
            if view["step"] == Step.AWAIT_BRAND:
                break
            await asyncio.sleep(0.1)
        assert code == 0 and view["source"] == "query"
        assert [(w["rule_id"], w["accepted"]) for w in view["warnings"]] == [(PLACEHOLDER, True)]
        assert await asyncio.to_thread(main, ["status", input.onboarding_id]) == 0
        out = capsys.readouterr().out
        assert "accepted campaign.samples[1]: " in out and f"[{PLACEHOLDER}]" in out
        await handle.terminate("test over")
