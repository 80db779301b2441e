"""The request model at the edge: Bird's camelCase names accepted where the request carries Bird's
fields, `channelMessageType` limited to Bird's values, and every number that becomes a duration
bounded, so that nothing a request says can stop a workflow after it has bought something."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bird.models.connectors import CHANNEL_MESSAGE_TYPES
from intake.inputs import onboarding_input
from intake.request import OnboardingRequest, RequestError, load_request, parse_request
from starter.cli import main
from workflows.inputs import MAX_DEADLINE_DAYS, DeadlineDays, OnboardingInput, PollSettings

ROOT = Path(__file__).resolve().parents[2]
BASE = json.loads((ROOT / "examples" / "onboarding.json").read_text())


def with_changes(**parts: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data.update(parts)
    return data


def errors_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(RequestError) as info:
        parse_request(data)
    return info.value.errors


def test_the_contract_example_connector_in_birds_names_is_accepted():
    request = parse_request(with_changes(connector={"name": "Acme SMS", "channelMessageType": "promotional"}))
    assert request.connector.channel_message_type == "promotional"
    built = onboarding_input(request, workspace_id="ws", organization_id="org")
    assert built.connector.channel_message_type == "promotional"


def test_snake_case_is_accepted_too():
    request = parse_request(with_changes(connector={"name": "Acme SMS", "channel_message_type": "2fa"}))
    assert request.connector.channel_message_type == "2fa"


@pytest.mark.parametrize("name", ["channelMessageType", "channel_message_type"])
def test_a_value_bird_does_not_have_is_refused_naming_the_field_and_the_values(name):
    [error] = errors_of(with_changes(connector={"name": "Acme SMS", name: "bulk"}))
    assert error.startswith(f"connector.{name}: must be one of ")
    for value in CHANNEL_MESSAGE_TYPES:
        assert value in error
    assert "'bulk'" in error


def test_birds_values_are_the_five_of_the_connector_openapi():
    spec = (ROOT / "bird" / "openapi" / "create-connector.json").read_text()
    assert CHANNEL_MESSAGE_TYPES == ("promotional", "transactional", "conversational", "emergency", "2fa")
    assert "must be one of promotional, transactional, conversational, emergency, 2fa" in spec


def test_existing_number_and_brand_in_birds_names():
    request = parse_request(with_changes(number={"phoneNumberId": "n-1"}, brand={"brandId": "b-1"}))
    assert request.number.phone_number_id == "n-1"
    assert request.brand.brand_id == "b-1"
    request = parse_request(with_changes(number={"countryCode": "US", "prefix": "+1415"}))
    assert request.number.country_code == "US"


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (float("inf"), "finite number"),
        (float("nan"), "finite number"),
        (1e9, f"less than or equal to {MAX_DEADLINE_DAYS:g}"),
        (366, f"less than or equal to {MAX_DEADLINE_DAYS:g}"),
        (0, "greater than 0"),
        (-1, "greater than 0"),
    ],
)
def test_a_deadline_out_of_range_is_refused(days, message):
    [error] = errors_of(with_changes(deadlines={"brand_days": days}))
    assert error.startswith("deadlines.brand_days: ") and message in error


def test_a_deadline_written_as_infinity_in_the_file_is_refused(tmp_path):
    # Python's json reads the bare token Infinity (and 1e999) as a float: the model must refuse it.
    text = json.dumps(with_changes()).replace('"onboarding_id"', '"deadlines": {"brand_days": Infinity}, "onboarding_id"')
    path = tmp_path / "infinite.json"
    path.write_text(text)
    with pytest.raises(RequestError) as info:
        load_request(path)
    assert info.value.errors == ["deadlines.brand_days: Input should be a finite number"]


def test_a_year_is_allowed():
    request = parse_request(with_changes(deadlines={"campaign_days": MAX_DEADLINE_DAYS}))
    assert request.deadlines.campaign_days == MAX_DEADLINE_DAYS


def test_the_workflow_input_clamps_what_an_older_start_let_through():
    # Inputs already in history decode whatever they hold; a number that cannot be a timer is
    # clamped to the ceiling (inf, 1e9) or the default (NaN, not positive).
    raw = {"brand": float("inf"), "vetting": 1e9, "campaign": float("nan"), "readiness": -2}
    days = DeadlineDays.model_validate(raw)
    assert (days.brand, days.vetting) == (MAX_DEADLINE_DAYS, MAX_DEADLINE_DAYS)
    assert (days.campaign, days.readiness) == (DeadlineDays().campaign, DeadlineDays().readiness)
    poll = PollSettings(min_seconds=float("inf"), max_seconds=1e30)
    assert poll.min_seconds == poll.max_seconds == 365 * 86400
    encoded = OnboardingInput(
        onboarding_id="o", workspace_id="w", organization_id="g", connector={"name": "n"}, deadlines=raw
    ).model_dump_json()
    assert OnboardingInput.model_validate_json(encoded).deadlines.brand == MAX_DEADLINE_DAYS


def test_tendlc_check_names_the_field_and_its_allowed_values(capsys, tmp_path):
    path = tmp_path / "bad-connector.json"
    path.write_text(json.dumps(with_changes(connector={"name": "Acme SMS", "channelMessageType": "marketing"})))
    assert main(["check", str(path)]) == 2
    out = capsys.readouterr().out
    assert "connector.channelMessageType" in out
    assert "promotional, transactional, conversational, emergency, 2fa" in out


def test_the_request_model_is_strict_still():
    errors = errors_of(with_changes(connector={"name": "Acme SMS", "channelMessagetype": "promotional"}))
    assert errors == ["connector.channelMessagetype: Extra inputs are not permitted"]
    assert OnboardingRequest.model_config["extra"] == "forbid"
