"""Every history kept in tests/histories replays against today's workflow code, so a change that
would break onboardings already running fails here (see tests/histories/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.workflows.helpers import HISTORIES
from workflows.onboarding import OnboardingWorkflow

FILES = sorted(HISTORIES.glob("*.json"))


def test_histories_are_kept():
    assert len(FILES) >= 8


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_history_replays(path: Path):
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[OnboardingWorkflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
