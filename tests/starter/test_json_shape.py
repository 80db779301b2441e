"""One JSON shape for every `--json`: `status` (the query's answer and Temporal's fallback), `list`
and the demo's summary all validate against starter/views.py's VIEW_SCHEMA (same keys, ISO-8601
UTC with Z, money as decimal strings), including what they nest under `detail`."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema
import pytest

from starter.cli import main
from starter.demo import summarize
from starter.status import onboarding_view_detail
from starter.views import VIEW_SCHEMA, costs_view, money, onboarding_view, timestamp
from tests.starter.unstarted import unstarted
from workflows.contract import Step
from workflows.kinds import Kind
from workflows.state import Blocker, Charge, OnboardingStatus, PreflightWarning, StepRecord, Waiting

T0 = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
ISO_ANY = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def full_status() -> OnboardingStatus:
    """A status with every part the shape has to carry: charges, a wait, a blocker, warnings."""
    status = OnboardingStatus(onboarding_id="acme-sms", step=Step.NEEDS_ACTION, started_at=T0, updated_at=T0)
    status.objects.number.id, status.objects.number.number_string = "num-1", "+14155550100"
    status.objects.brand.id, status.objects.brand.status, status.objects.brand.reason = "b-1", "REJECTED", "EIN mismatch"
    status.charges = [Charge(kind=Kind.NUMBER, object_id="num-1", fee="number subscription", amount=1.5,
                             currency="USD", recurring=True, at=T0),
                      Charge(kind=Kind.BRAND, object_id="b-1", fee="brand registration fee", amount=4, currency="USD",
                             at=T0 + timedelta(seconds=1))]  # fmt: skip
    status.waiting = Waiting(step=Step.AWAIT_BRAND, kind=Kind.BRAND, object_id="b-1", what="brand", since=T0,
                             next_poll_at=T0 + timedelta(minutes=1))  # fmt: skip
    status.blocked = Blocker(step=Step.AWAIT_BRAND, reason="brand REJECTED: EIN mismatch", since=T0)
    status.steps = [StepRecord(step=Step.BUY_NUMBER, started_at=T0, ended_at=T0, outcome="done")]
    status.warnings = [PreflightWarning(rule_id="BRAND_FREE_EMAIL", field="brand.email", message="free mail")]
    return status


def walk(value: Any, key: str = "") -> list[str]:
    """Problems anywhere in the document: a timestamp without Z, money that is not a string."""
    problems = []
    if isinstance(value, dict):
        for k, v in value.items():
            problems += walk(v, k)
    elif isinstance(value, list):
        for v in value:
            problems += walk(v, key)
    elif isinstance(value, str) and ISO_ANY.match(value) and not value.endswith("Z"):
        problems.append(f"{key}: {value} is not UTC with Z")
    elif key in ("amount", "total", "monthly_price") and value is not None and not isinstance(value, str):
        problems.append(f"{key}: {value!r} is not a decimal string")
    return problems


@pytest.fixture
async def outputs(dev_env, monkeypatch, capsys) -> dict[str, list[dict[str, Any]]]:
    """Every --json output, each as a list of views."""
    ident = await unstarted(dev_env.client, "AWAIT_BRAND", memo={"warnings": [
        {"rule_id": "BRAND_FREE_EMAIL", "field": "brand.email", "message": "m"}]})  # fmt: skip
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["status", ident, "--json", "--query-timeout", "0.5"]) == 0
    fallback = json.loads(capsys.readouterr().out)
    assert await asyncio.to_thread(main, ["list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["onboardings"]
    assert ident in [row["onboarding_id"] for row in listed]
    status = full_status()
    queried = onboarding_view(workflow_id="onboarding-acme-sms", ui="http://ui", status=status,
                              detail=onboarding_view_detail(status))  # fmt: skip
    ledger = {"entries": [{"kind": "number", "objectId": "num-1", "amount": "1.5", "currency": "USD"},
                          {"kind": "brand", "objectId": "b-1", "amount": 4, "currency": "USD"}],
              "counts": {"number": 1, "brand": 1}, "totals": {"USD": "5.5"}}  # fmt: skip
    demo = summarize(status, ledger, "http://ui", 20.04, "onboarding-acme-sms")
    costed = costs_view([(queried, list(status.charges))])["onboardings"]
    return {"status (query)": [queried], "status (no worker)": [fallback], "list": listed, "costs": costed,
            "demo summary": [demo]}  # fmt: skip


async def test_every_json_output_has_the_one_shape(outputs):
    for command, views in outputs.items():
        assert views, command
        for view in views:
            jsonschema.validate(view, VIEW_SCHEMA)
            assert walk(view) == [], (command, walk(view))
    keys = {command: [sorted(view) for view in views] for command, views in outputs.items()}
    assert len({tuple(k) for ks in keys.values() for k in ks}) == 1, keys
    queried, demo = outputs["status (query)"][0], outputs["demo summary"][0]
    assert [c["amount"] for c in queried["charges"]] == ["1.50", "4.00"] and queried["charge_totals"] == {"USD": "5.50"}
    assert demo["charge_totals"] == {"USD": "5.50"} and demo["detail"]["seconds"] == "20.0"
    assert queried["blocked"]["since"] == "2026-11-30T09:30:00.000Z"
    assert queried["detail"]["waiting"]["next_poll_at"] == "2026-11-30T09:31:00.000Z"
    fallback = outputs["status (no worker)"][0]
    assert fallback["warnings"][0]["rule_id"] == "BRAND_FREE_EMAIL" and fallback["objects"]["brand"]["id"] == "b-1"


def test_formatting_helpers():
    assert money(15) == "15.00" and money(0.1 + 0.2) == "0.30" and money("2.005") == "2.01" and money(None) is None
    assert timestamp(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000Z"
    assert timestamp(datetime(2026, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1)))) == "2026-01-02T03:04:05.000Z"
    with pytest.raises(ValueError, match="not an amount"):
        money("twelve")
