"""`tendlc list`: pages (one visibility call each), filters, ids never cut; 10,000 onboardings
through a fake visibility, a few through the dev server's real one; --step takes any case and lists
the valid steps when it is wrong."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from starter import listing
from starter.cli import main
from starter.listing import every_page, fetch_page, print_rows, query_for
from starter.start import prepare_data, start_workflow
from starter.views import decode_page_token
from tests.starter.test_start import IDS
from tests.starter.unstarted import unstarted
from tests.workflows.helpers import request_data
from workflows.contract import ONBOARDING_ID, STEP, Step, workflow_id_for

FLEET = 10_000
LONG = "acme-franchise-location-with-a-long-name-"  # ids as long as real fleets' are


def execution(i: int) -> SimpleNamespace:
    onboarding_id = f"{LONG}{i:05d}"
    return SimpleNamespace(
        id=workflow_id_for(onboarding_id),
        run_id=f"run-{i}",
        status=WorkflowExecutionStatus.RUNNING,
        start_time=datetime(2026, 11, 30, tzinfo=UTC),
        close_time=None,
        typed_search_attributes=TypedSearchAttributes(
            [SearchAttributePair(ONBOARDING_ID, onboarding_id), SearchAttributePair(STEP, "AWAIT_CAMPAIGN")]
        ),
    )


@dataclass
class FakePages:
    """What `Client.list_workflows` returns, over a list: pages addressed by an opaque token."""

    all: list
    page_size: int
    token: bytes | None
    calls: list

    async def fetch_next_page(self) -> None:
        self.calls.append(self.token)
        start = int(self.token.decode()) if self.token else 0
        self.current_page = self.all[start : start + self.page_size]
        end = start + self.page_size
        self.next_page_token = str(end).encode() if end < len(self.all) else None


class FakeVisibility:
    def __init__(self, n: int) -> None:
        self.executions = [execution(i) for i in range(n)]
        self.calls: list = []
        self.queries: list[str] = []

    def list_workflows(
        self, query: str, *, page_size: int, next_page_token: bytes | None = None, rpc_timeout=None
    ) -> FakePages:
        self.queries.append(query)
        return FakePages(self.executions, page_size, next_page_token, self.calls)


def args(**kw) -> argparse.Namespace:
    base = dict(step=None, needs_action=False, open=False, prefix=None, limit=200, page_token=None, all=False, json=False)
    return argparse.Namespace(**{**base, **kw})


async def test_one_page_is_one_visibility_call_even_at_10000():
    fake = FakeVisibility(FLEET)
    rows, token = await fetch_page(fake, "q", page_size=200)
    assert len(rows) == 200 and token is not None and len(fake.calls) == 1
    assert rows[0]["onboarding_id"] == f"{LONG}00000"


async def test_every_page_walks_10000_with_nothing_lost_or_repeated():
    fake = FakeVisibility(FLEET)
    began = time.perf_counter()
    ids = [row["onboarding_id"] async for page in every_page(fake, "q") for row in page]
    assert time.perf_counter() - began < 5
    assert len(ids) == len(set(ids)) == FLEET
    assert len(fake.calls) == FLEET // listing.ALL_PAGE_SIZE


def test_ids_are_printed_whole_however_narrow_the_terminal(capsys, monkeypatch):
    from rich.console import Console

    monkeypatch.setattr(listing, "make_console", lambda: Console(width=40, highlight=False, soft_wrap=True))
    rows = [listing.onboarding_row(execution(i)) for i in range(3)]
    print_rows(listing.make_console(), rows, header=True)
    out = capsys.readouterr().out
    for row in rows:
        assert row["onboarding_id"] in out and row["workflow_id"] not in out.replace(row["onboarding_id"], "")


def test_list_prints_a_page_and_the_token_of_the_next(capsys, monkeypatch):
    fake = FakeVisibility(FLEET)

    async def connect(settings):
        return fake

    monkeypatch.setattr(listing, "connect", connect)
    monkeypatch.setattr(listing, "StarterSettings", lambda: IDS)
    assert listing.run(args(limit=300, json=True)) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["count"] == 300 and first["next_page_token"]
    assert listing.run(args(limit=300, json=True, page_token=first["next_page_token"])) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["onboardings"][0]["onboarding_id"] == f"{LONG}00300"
    assert listing.run(args(limit=300, page_token=first["next_page_token"])) == 0
    text = capsys.readouterr().out
    assert f"{LONG}00599" in text and "300 onboarding(s)" in text and "--page-token " in text

    began = time.perf_counter()
    assert listing.run(args(all=True, json=True)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert time.perf_counter() - began < 10
    assert len(lines) == FLEET and json.loads(lines[-1])["onboarding_id"] == f"{LONG}{FLEET - 1:05d}"


def test_a_bad_page_token_is_refused_naming_the_flag(capsys):
    assert listing.run(args(page_token="!!not-a-token")) == 2
    assert "--page-token" in capsys.readouterr().err
    assert decode_page_token(None) is None


def test_filters_become_the_visibility_query():
    assert query_for(args()) == "OnboardingId IS NOT NULL"
    assert query_for(args(step=Step.DONE, open=True, prefix="acme-")) == (
        "OnboardingId IS NOT NULL AND OnboardingStep = 'DONE' AND ExecutionStatus = 'Running'"
        " AND WorkflowId STARTS_WITH 'onboarding-acme-'"
    )
    assert query_for(args(needs_action=True, step=Step.DONE)).endswith("OnboardingStep = 'NEEDS_ACTION'")
    assert query_for(args(prefix="it's")).endswith("STARTS_WITH 'onboarding-it\\'s'")


async def test_real_visibility_pages_and_filters(dev_env):
    prefix = f"page-{uuid.uuid4().hex[:8]}-"
    queue = f"tq-{uuid.uuid4()}"  # no worker: they stay at BUY_NUMBER
    handles = []
    for i in range(5):
        data = request_data(onboarding_id=f"{prefix}{i}")
        handles.append(await start_workflow(dev_env.client, prepare_data(data, "x", IDS), task_queue=queue))
    query = query_for(args(prefix=prefix))
    for _ in range(50):  # visibility follows the starts closely, not instantly
        rows, _ = await fetch_page(dev_env.client, query, page_size=10)
        if len(rows) == 5:
            break
        await asyncio.sleep(0.2)
    seen, token = [], None
    while True:
        rows, token = await fetch_page(dev_env.client, query, page_size=2, page_token=token)
        assert len(rows) <= 2
        seen += [r["onboarding_id"] for r in rows]
        if token is None:
            break
    assert sorted(seen) == [f"{prefix}{i}" for i in range(5)]
    assert {r["step"] for r in (await fetch_page(dev_env.client, query, page_size=10))[0]} == {"BUY_NUMBER"}
    assert (await fetch_page(dev_env.client, query_for(args(prefix=prefix, step=Step.DONE)), page_size=10))[0] == []
    for handle in handles:
        await handle.terminate("test over")


async def test_an_id_wider_than_the_output_stays_whole(dev_env, monkeypatch, capsys):
    long_id = f"long-{uuid.uuid4().hex}-" + "x" * 150  # 188 characters, near the 200 a request allows
    short_id = await unstarted(dev_env.client, "CREATE_CAMPAIGN")
    await unstarted(dev_env.client, "CREATE_CAMPAIGN", ident=long_id)
    other = await unstarted(dev_env.client, "VETTING")
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    monkeypatch.setenv("COLUMNS", "80")
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["list", "--step", "create_Campaign"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(long_id in line for line in lines) and any(short_id in line for line in lines), lines
    assert not any(other in line for line in lines) and not any("…" in line for line in lines)


def test_a_bad_step_lists_the_valid_ones(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["list", "--step", "finished"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "invalid step 'finished'; valid steps: BUY_NUMBER, REGISTER_BRAND," in err and "CANCELLED" in err
