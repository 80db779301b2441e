"""`campaign: {"campaign_id": ...}`: a number joins an approved campaign; its brand must be named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intake.inputs import onboarding_input
from intake.preflight import check_request
from intake.request import RequestError, parse_request

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "examples" / "onboarding.json").read_text())


def joining(**changes: object) -> dict:
    data = {k: v for k, v in EXAMPLE.items() if k != "vetting"}
    data.update(brand={"brand_id": "b-1"}, campaign={"campaign_id": "c-1"})
    data.update(changes)
    return data


def test_a_number_joins_an_approved_campaign_of_a_named_brand():
    request = parse_request(joining())
    assert check_request(request) == []  # campaign rules are for new campaigns
    input = onboarding_input(request, workspace_id="ws", organization_id="org")
    assert (input.brand_id, input.campaign_id, input.campaign, input.brand) == ("b-1", "c-1", {}, None)


def test_campaign_id_without_brand_id_is_refused_naming_brand():
    with pytest.raises(RequestError) as caught:
        parse_request(joining(brand=EXAMPLE["brand"]))
    assert any("brand" in e and "campaign.campaign_id" in e for e in caught.value.errors)


def test_campaign_id_with_vetting_is_refused_naming_vetting():
    with pytest.raises(RequestError) as caught:
        parse_request(joining(vetting=EXAMPLE["vetting"]))
    assert any(e.split(": ", 1)[1].startswith("vetting") for e in caught.value.errors)
