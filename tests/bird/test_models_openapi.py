"""Our request models against Bird's OpenAPI files: the same fields, the same constraints.

Every file is walked: a generated valid body validates; removing each required field, or breaking
each enum, length, pattern or item count, is refused with the field's wire name in the message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from bird.models import (
    BrandCreate,
    BrandPatch,
    BuyNumbersRequest,
    CampaignCreate,
    CampaignPatch,
    Connector,
    ConnectorCreate,
    Reseller,
    StockItemQuery,
    VettingCreate,
    WebhookSubscriptionCreate,
)
from tests.bird.guide_examples import GUIDE_BRAND, GUIDE_BUY, GUIDE_CAMPAIGN, GUIDE_CONNECTOR, GUIDE_VETTING
from tests.bird.openapi_walk import (
    OPENAPI_DIR,
    broken_variants,
    example,
    load,
    query_schema,
    request_schema,
    resolve,
)

# file -> (model, how to get the schema the model mirrors)
REQUESTS = {
    "buy-long-code-numbers.json": (BuyNumbersRequest, request_schema),
    "create-workspace-brand.json": (BrandCreate, request_schema),
    "create-brand-vetting.json": (VettingCreate, request_schema),
    "create-campaign.json": (CampaignCreate, request_schema),
    "create-connector.json": (ConnectorCreate, request_schema),
    "create-webhook-subscription.json": (WebhookSubscriptionCreate, request_schema),
    "list-numbers-stock-items.json": (StockItemQuery, query_schema),
}
# files without a request body: their response schema must parse into our response model
RESPONSES = {
    "get-connector.json": (Connector, "Connector"),
    "list-resellers.json": (Reseller, "WorkspaceTCRReseller"),
}


def test_every_openapi_file_is_covered():
    files = {p.name for p in OPENAPI_DIR.glob("*.json")}
    assert files == set(REQUESTS) | set(RESPONSES)


def wire_names(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


@pytest.mark.parametrize("file", sorted(REQUESTS))
def test_models_have_exactly_the_schemas_fields(file):
    model, schema_of = REQUESTS[file]
    spec = load(file)
    schema = resolve(spec, schema_of(spec))
    assert wire_names(model) == set(schema["properties"])
    required = {f.alias or n for n, f in model.model_fields.items() if f.is_required()}
    assert required == set(schema.get("required", []))


@pytest.mark.parametrize("full", [False, True], ids=["required-only", "every-field"])
@pytest.mark.parametrize("file", sorted(REQUESTS))
def test_a_valid_body_validates_and_round_trips(file, full):
    model, schema_of = REQUESTS[file]
    spec = load(file)
    body = example(spec, schema_of(spec), full=full)
    parsed = model.model_validate(body)
    assert parsed.model_dump(mode="json", by_alias=True, exclude_none=True) == body


def _variant_cases():
    for file, (model, schema_of) in sorted(REQUESTS.items()):
        spec = load(file)
        for v in broken_variants(spec, schema_of(spec)):
            yield pytest.param(model, v, id=f"{file}:{v.field}:{v.why}")


@pytest.mark.parametrize("model, variant", list(_variant_cases()))
def test_each_broken_constraint_is_refused_naming_the_field(model, variant):
    with pytest.raises(ValidationError) as info:
        model.model_validate(variant.body)
    blamed = {str(err["loc"][0]) for err in info.value.errors()}
    assert variant.field in blamed, f"{variant.why}: expected {variant.field!r} in {blamed}"
    assert variant.field in str(info.value)


@pytest.mark.parametrize("file", sorted(RESPONSES))
def test_response_examples_parse(file):
    model, schema_name = RESPONSES[file]
    spec = load(file)
    body = example(spec, {"$ref": f"#/components/schemas/{schema_name}"}, full=True)
    parsed = model.model_validate(body)
    assert parsed.model_dump(by_alias=True, exclude_none=True).keys() >= set(
        resolve(spec, {"$ref": f"#/components/schemas/{schema_name}"}).get("required", [])
    )


# --- the request examples in Bird's guide (Bird's US 10DLC API Installation guide) --------------


@pytest.mark.parametrize(
    "model, body",
    [(BrandCreate, GUIDE_BRAND), (VettingCreate, GUIDE_VETTING), (BuyNumbersRequest, GUIDE_BUY),
     (ConnectorCreate, GUIDE_CONNECTOR)],
    ids=["brand", "vetting", "buy", "connector"],
)  # fmt: skip
def test_the_guides_request_examples_validate(model, body):
    assert model.model_validate(body).to_wire() == body


def test_the_guides_campaign_example_is_invalid_only_for_its_short_description():
    with pytest.raises(ValidationError) as info:
        CampaignCreate.model_validate(GUIDE_CAMPAIGN)
    errors = info.value.errors()
    assert [e["loc"] for e in errors] == [("description",)]
    assert "40 characters" in errors[0]["msg"]
    fixed = {**GUIDE_CAMPAIGN, "description": GUIDE_CAMPAIGN["description"] + ": reminders for the team's own phones."}
    CampaignCreate.model_validate(fixed)


def test_the_campaign_model_documents_the_guides_invalid_example():
    assert "invalid" in CampaignCreate.__doc__ and "40" in CampaignCreate.__doc__


def test_the_guides_brand_curl_template_of_empty_strings_is_refused():
    template = {k: "" for k in json.loads(json.dumps(GUIDE_BRAND))}
    with pytest.raises(ValidationError) as info:
        BrandCreate.model_validate(template)
    blamed = {e["loc"][0] for e in info.value.errors()}
    # entityType "" is in Bird's enum; every required string has minLength 1
    assert blamed == set(GUIDE_BRAND) - {"entityType"}


def test_us_only_rules_are_not_wire_rules():
    # Bird's schema accepts a non-US brand; 9-digit EIN, E.164, state and ZIP are pre-flight checks
    foreign = {**GUIDE_BRAND, "country": "NL", "einIssuingCountry": "NL", "ein": "NL123456789B01",
               "state": "Noord-Holland", "postalCode": "1012 AB", "phone": "020 123 4567"}  # fmt: skip
    BrandCreate.model_validate(foreign)
    mixed = {**GUIDE_CAMPAIGN, "description": "x" * 40, "usecase": "MIXED", "subUsecases": ["MARKETING"]}
    CampaignCreate.model_validate(mixed)


def test_models_accept_python_names_too():
    # Temporal's pydantic converter writes field names; histories must decode
    wire = VettingCreate.model_validate(GUIDE_VETTING)
    again = VettingCreate.model_validate(wire.model_dump())
    assert again == wire


def test_webhook_filters_follow_the_per_service_rules():
    base = {"service": "channels", "event": "channel.updated", "url": "https://relay.example.com/hook"}
    WebhookSubscriptionCreate.model_validate({**base, "eventFilters": [{"key": "channelId", "value": example_uuid()}]})
    with pytest.raises(ValidationError, match="channelId must be a uuid"):
        WebhookSubscriptionCreate.model_validate({**base, "eventFilters": [{"key": "channelId", "value": "x"}]})
    with pytest.raises(ValidationError, match="not a filter of service"):
        WebhookSubscriptionCreate.model_validate(
            {**base, "service": "templates", "eventFilters": [{"key": "channelId", "value": example_uuid()}]}
        )
    with pytest.raises(ValidationError, match="url"):
        WebhookSubscriptionCreate.model_validate({**base, "url": "http://127.0.0.1:8788/webhooks/bird"})


def example_uuid() -> str:
    return "123e4567-e89b-12d3-a456-426614174000"


def test_the_vendored_openapi_files_match_birds_docs():
    # TENDLC_BIRD_OPENAPI_DIR: a folder of Bird's published OpenAPI fragments to compare the
    # vendored copy with, when one is at hand.
    shared = Path(os.environ.get("TENDLC_BIRD_OPENAPI_DIR", ""))
    if not os.environ.get("TENDLC_BIRD_OPENAPI_DIR") or not shared.is_dir():
        pytest.skip("TENDLC_BIRD_OPENAPI_DIR does not name a folder of Bird's OpenAPI fragments")
    for path in OPENAPI_DIR.glob("*.json"):
        assert json.loads(path.read_text()) == json.loads((shared / path.name).read_text()), path.name


def _patch_cases():
    spec = load("create-campaign.json")
    for v in broken_variants(spec, request_schema(spec)):
        if v.why != "missing required":
            yield pytest.param(v, id=f"{v.field}:{v.why}")


def test_the_campaign_patch_has_the_create_fields_none_required():
    assert wire_names(CampaignPatch) == wire_names(CampaignCreate)
    assert not [name for name, field in CampaignPatch.model_fields.items() if field.is_required()]
    assert CampaignPatch.model_validate({}).to_wire() == {}


@pytest.mark.parametrize("variant", list(_patch_cases()))
def test_the_campaign_patch_keeps_every_constraint_of_the_create(variant):
    changed = {variant.field: variant.body[variant.field]} if variant.field in variant.body else variant.body
    with pytest.raises(ValidationError) as info:
        CampaignPatch.model_validate(changed)
    assert variant.field in {str(err["loc"][0]) for err in info.value.errors()}


def _brand_patch_cases():
    spec = load("create-workspace-brand.json")
    for v in broken_variants(spec, request_schema(spec)):
        if v.why != "missing required":
            yield pytest.param(v, id=f"{v.field}:{v.why}")


def test_the_brand_patch_has_the_create_fields_none_required():
    assert wire_names(BrandPatch) == wire_names(BrandCreate)
    assert not [name for name, field in BrandPatch.model_fields.items() if field.is_required()]
    assert BrandPatch.model_validate({}).to_wire() == {}
    with pytest.raises(ValidationError, match="notAField"):
        BrandPatch.model_validate({"notAField": 1})


@pytest.mark.parametrize("variant", list(_brand_patch_cases()))
def test_the_brand_patch_keeps_every_constraint_of_the_create(variant):
    changed = {variant.field: variant.body[variant.field]} if variant.field in variant.body else variant.body
    with pytest.raises(ValidationError) as info:
        BrandPatch.model_validate(changed)
    assert variant.field in {str(err["loc"][0]) for err in info.value.errors()}
