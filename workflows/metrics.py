"""Metrics the workflow emits through the worker's runtime: each step finished and each approval
wait's length. The SDK drops them while replaying, so a replayed history never counts twice."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contract import Step

# The steps that wait on Bird's reviewers or on carriers, not on our own calls.
WAIT_STEPS = frozenset({Step.AWAIT_BRAND, Step.VETTING, Step.AWAIT_CAMPAIGN, Step.AWAIT_READY})


def step_finished(step: Step, outcome: str, seconds: float) -> None:
    meter = workflow.metric_meter()
    meter.create_counter("tendlc_steps_finished", "Onboarding steps finished, by step and outcome").add(
        1, {"step": step.value, "outcome": outcome}
    )
    if step in WAIT_STEPS and outcome == "done":
        meter.create_histogram_float(
            "tendlc_approval_wait_seconds", "How long each approval (or carrier linking) took", "s"
        ).record(seconds, {"step": step.value})
