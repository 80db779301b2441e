"""`tendlc list`: ids are printed whole however narrow the output, and --step takes any case and
lists the valid steps when it is wrong."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from starter.cli import main
from tests.starter.unstarted import unstarted


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
