"""Onboardings for CLI tests that read Temporal: started on a task queue no worker polls, with
search attributes saying where they stand, so `status` and `list` answer from Temporal alone."""

from __future__ import annotations

import uuid
from pathlib import Path

from temporalio.common import SearchAttributePair, TypedSearchAttributes

from intake.inputs import onboarding_input
from intake.request import load_request
from workflows.contract import BRAND_ID, ONBOARDING_ID, STEP, workflow_id_for
from workflows.onboarding import OnboardingWorkflow

ROOT = Path(__file__).resolve().parents[2]


async def unstarted(client, step: str, *, ident: str | None = None, memo: dict | None = None) -> str:
    """Start an onboarding no worker runs, its step (search attribute) `step`; returns its id."""
    ident = ident or f"cli-{uuid.uuid4().hex[:8]}"
    request = load_request(ROOT / "examples" / "onboarding.json")
    input = onboarding_input(request.model_copy(update={"onboarding_id": ident}), workspace_id="w", organization_id="o")
    await client.start_workflow(
        OnboardingWorkflow.run, input, id=workflow_id_for(ident), task_queue=f"nobody-{uuid.uuid4().hex[:8]}",
        memo=memo or {},
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(ONBOARDING_ID, ident), SearchAttributePair(STEP, step),
            SearchAttributePair(BRAND_ID, "b-1"),
        ]),
    )  # fmt: skip
    return ident
