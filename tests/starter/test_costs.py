"""`tendlc costs`: the charges of the listed onboardings, per onboarding and per kind, from the
result of completed runs and the status query of running ones; text and --json say the same."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from starter import costs
from starter.batch import Entry, follow_batch, start_batch
from starter.listing import query_for
from starter.start import prepare_data
from starter.views import costs_view, money, onboarding_view
from tests.starter.test_listing import args
from tests.starter.test_start import IDS
from tests.workflows.fake_bird import FakeBird
from tests.workflows.helpers import onboarding_worker, request_data
from workflows.kinds import Kind
from workflows.state import Charge

AT = datetime(2026, 11, 30, tzinfo=UTC)


def charge(kind: Kind, amount: float | None, recurring: bool = False) -> Charge:
    return Charge(kind=kind, object_id=f"{kind}-{uuid.uuid4().hex[:6]}", fee="fee", recurring=recurring,
                  amount=amount, currency="USD", at=AT)  # fmt: skip


def row(onboarding_id: str, step: str = "DONE") -> dict:
    return {**onboarding_view(workflow_id=f"onboarding-{onboarding_id}"), "onboarding_id": onboarding_id, "step": step}


def test_totals_per_onboarding_per_kind_and_overall():
    view = costs_view(
        [
            (row("a"), [charge(Kind.NUMBER, 1.15, True), charge(Kind.BRAND, 4.0), charge(Kind.CAMPAIGN, 15.0)]),
            (row("b"), [charge(Kind.NUMBER, 1.15, True), charge(Kind.BRAND, 4.0)]),
            (row("c", "AWAIT_CAMPAIGN"), []),
            (row("d", "BUY_NUMBER"), None),
        ]
    )
    assert [o["charge_totals"] for o in view["onboardings"]] == [{"USD": "20.15"}, {"USD": "5.15"}, {}]
    assert view["by_kind"]["number"] == {"count": 2, "recurring": 2, "totals": {"USD": "2.30"}}
    assert view["by_kind"]["brand"]["totals"] == {"USD": "8.00"} and view["by_kind"]["campaign"]["count"] == 1
    assert view["totals"] == {"USD": "25.30"} and view["charges"] == 5
    assert view["unknown"] == ["d"]
    json.dumps(view)  # plain JSON all through


def test_text_says_what_the_json_says(capsys):
    view = costs_view([(row("fleet-0001"), [charge(Kind.NUMBER, 1.15, True), charge(Kind.BRAND, 4.0)]),
                       (row("fleet-0002", "BUY_NUMBER"), None)])  # fmt: skip
    costs.print_costs(view)
    out = capsys.readouterr().out
    assert "fleet-0001  DONE  number, brand  5.15 USD" in out
    assert "  number          1 charge(s)  1.15 USD" in out
    assert "total: 2 charge(s) over 1 onboarding(s): 5.15 USD" in out
    assert "charges unknown" in out and "  fleet-0002" in out


async def test_costs_of_a_batch_on_the_dev_server(dev_env):
    prefix = f"costs-{uuid.uuid4().hex[:8]}-"
    bird = FakeBird(brand="APPROVED", vetting="APPROVED", campaign="APPROVED", connector="ok")
    entries = [Entry(f"x:{i}", prepare_data(request_data(onboarding_id=f"{prefix}{i}"), "x", IDS)) for i in range(3)]
    async with onboarding_worker(dev_env.client, bird.activities()) as queue:
        started = await start_batch(dev_env.client, entries, task_queue=queue)
        await asyncio.wait_for(follow_batch(dev_env.client, started.onboarding_ids, interval=0.2, out=_Null()), 60)
        # visibility shows each run completed a little after its last step
        for _ in range(50):
            collected = await costs.collect(dev_env.client, query_for(args(prefix=prefix)))
            if [r["execution"] for r, _ in collected] == ["COMPLETED"] * 3:
                break
            await asyncio.sleep(0.2)
    view = costs_view(collected)
    assert sorted(o["onboarding_id"] for o in view["onboardings"]) == [f"{prefix}{i}" for i in range(3)]
    assert view["unknown"] == []
    for kind in ("number", "brand", "vetting", "campaign", "connector"):
        assert view["by_kind"][kind]["count"] == 3, kind
    assert view["charges"] == 15
    per_onboarding = {tuple(o["charge_totals"].items()) for o in view["onboardings"]}
    assert len(per_onboarding) == 1  # the same five fees each
    (currency, amount), = per_onboarding.pop()
    assert view["totals"] == {currency: money(3 * Decimal(amount))}


class _Null:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


async def test_costs_of_running_onboardings_come_from_the_status_query(dev_env):
    prefix = f"costs-open-{uuid.uuid4().hex[:8]}-"
    bird = FakeBird(brand="REJECTED", vetting="APPROVED", campaign="APPROVED", connector="ok")
    entries = [Entry(f"x:{i}", prepare_data(request_data(onboarding_id=f"{prefix}{i}"), "x", IDS)) for i in range(2)]
    async with onboarding_worker(dev_env.client, bird.activities()) as queue:
        started = await start_batch(dev_env.client, entries, task_queue=queue)
        await asyncio.wait_for(follow_batch(dev_env.client, started.onboarding_ids, interval=0.2, out=_Null()), 60)
        view = costs_view(await costs.collect(dev_env.client, query_for(args(prefix=prefix))))
        for e in entries:
            await dev_env.client.get_workflow_handle(f"onboarding-{e.input.onboarding_id}").terminate("test over")
    # stopped in NEEDS_ACTION at the brand: the number and the brand are billed, nothing after them
    assert [o["step"] for o in view["onboardings"]] == ["NEEDS_ACTION", "NEEDS_ACTION"]
    assert {k: v["count"] for k, v in view["by_kind"].items()} == {"brand": 2, "number": 2}
    assert view["unknown"] == []
