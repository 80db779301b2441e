"""`tendlc resubmit-campaign | resubmit-brand | cancel | extend-deadline` without a stack: changes
files refused before anything is sent, and how an Update's outcome is printed (the same commands
against a running onboarding: tests/e2e/test_operator_cli.py)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import RetryState
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError

from bird.models import BrandPatch, CampaignPatch
from starter.cli import main
from starter.operator import EXIT_FAILED, EXIT_REFUSED, _failed, load_changes, show
from workflows.contract import Step
from workflows.failures import ACTION_FAILED, action_failed, refused
from workflows.kinds import Kind
from workflows.messages import ActionResult, StillBilled


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "changes.json"
    path.write_text(content)
    return path


@pytest.mark.parametrize(
    "content, expected",
    [
        ('{"description": "short", "notAField": 1, "samples": []}', ["description:", "notAField:", "samples:"]),
        ("[1, 2]", ["must be a JSON object"]),
        ("{nope", ["not valid JSON"]),
    ],
    ids=["field-errors", "not-an-object", "not-json"],
)
def test_a_campaign_changes_file_is_checked_before_anything_is_sent(tmp_path, content, expected):
    err = io.StringIO()
    assert load_changes(write(tmp_path, content), CampaignPatch, err) is None
    for text in expected:
        assert text in err.getvalue()


def test_a_brand_changes_file_names_every_bad_field(tmp_path):
    err = io.StringIO()
    assert load_changes(write(tmp_path, '{"ein": "", "entityType": "PARTNERSHIP"}'), BrandPatch, err) is None
    lines = err.getvalue().splitlines()
    assert lines[0].endswith("not sent")
    assert {line.split(":")[0].strip() for line in lines[1:]} == {"ein", "entityType"}


def test_valid_changes_are_passed_on_as_written(tmp_path):
    changes = {"description": "d" * 40, "resellerId": None}
    assert load_changes(write(tmp_path, json.dumps(changes)), CampaignPatch) == changes


def test_invalid_changes_exit_2_without_contacting_temporal(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")  # nothing listens there
    path = write(tmp_path, '{"samples": []}')
    assert main(["resubmit-campaign", "acme-sms", "--file", str(path)]) == EXIT_REFUSED
    assert main(["resubmit-brand", "acme-sms", "--file", str(tmp_path / "missing.json")]) == EXIT_REFUSED
    err = capsys.readouterr().err
    assert "samples:" in err and "file not found" in err


def failure(cause: ApplicationError) -> WorkflowUpdateFailedError:
    return WorkflowUpdateFailedError(cause)


def test_a_refusal_prints_why_and_each_field():
    out = io.StringIO()
    code = _failed(failure(refused("the changes are not valid campaign fields", {"samples": ["too short"]})), out)
    assert code == EXIT_REFUSED
    assert out.getvalue().splitlines() == ["refused: the changes are not valid campaign fields", "  samples: too short"]


def _activity_error(cause: ApplicationError) -> ActivityError:
    error = ActivityError(
        "activity failed", scheduled_event_id=1, started_event_id=2, identity="w", activity_type="patch_campaign",
        activity_id="1", retry_state=RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE,
    )  # fmt: skip
    error.__cause__ = cause
    return error


def test_bird_refusing_an_accepted_update_exits_1():
    bird = ApplicationError("HTTP 422", {"field_errors": {"resellerId": ["not ACTIVE"]}}, type="BirdRejected")
    err = action_failed("Bird refused to resubmit the campaign", _activity_error(bird))
    assert err.type == ACTION_FAILED
    out = io.StringIO()
    assert _failed(failure(err), out) == EXIT_FAILED
    assert out.getvalue().splitlines() == [
        "failed: Bird refused to resubmit the campaign: HTTP 422; the onboarding stays where it was",
        "  resellerId: not ACTIVE",
    ]


def test_a_cancel_lists_what_stays_billed():
    result = ActionResult(
        action="cancel",
        done="cancelled: customer withdrew",
        step=Step.CANCELLED,
        still_billed=[
            StillBilled(kind=Kind.NUMBER, object_id="n-1", fee="number subscription", recurring=True, amount=1.15,
                        currency="USD", release="monthly subscription: billed until the number is released in Bird"),
        ],  # fmt: skip
        notes=["create_campaign was still running"],
    )
    out = io.StringIO()
    show(result, out)
    assert out.getvalue().splitlines() == [
        "accepted: cancelled: customer withdrew",
        "step: CANCELLED",
        "still billed (release in Bird what is no longer needed):",
        "  number     n-1  number subscription 1.15 USD: monthly subscription: billed until the number is released in Bird",
        "note: create_campaign was still running",
    ]


def test_an_extension_shows_the_new_deadline():
    deadline = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    out = io.StringIO()
    show(ActionResult(action="extend_deadline", done="waiting", step=Step.AWAIT_CAMPAIGN, deadline_at=deadline), out)
    assert "step: AWAIT_CAMPAIGN" in out.getvalue() and "deadline: 2026-12-01 09:30 UTC" in out.getvalue()
