"""Property-based: schemathesis generates requests from Bird's own OpenAPI fragments
(bird/openapi/*.json) and sends them to the in-process sandbox (ASGI, no socket).

Positive cases (valid per the schema) must never be a 5xx and each answer must match the response
schema the fragment documents for its status; negative cases (schemathesis breaking the schema on
purpose) must never be a 5xx either and must be refused (4xx).

The fragments leave out their path parameters, so the test assembles one OpenAPI document from
them and declares each path parameter with the id of a real object made in the sandbox first.

    .venv/bin/python -m pytest -q -m slow tests/sandbox/test_openapi_fuzz.py

prints the figure: cases tried, and how many were answered 5xx (must be 0). `FUZZ_EXAMPLES` (per
operation and mode, default 150) bounds the run; generation is derandomized, so a run repeats.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections import Counter
from importlib import resources
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)

from sandbox import DEFAULT_ACCESS_KEY, SandboxConfig, create_app
from tests.sandbox.helpers import BRAND, CAMPAIGN, ORG, WS

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
AUTH = {"Authorization": f"AccessKey {DEFAULT_ACCESS_KEY}"}
FRAGMENTS = sorted(p.name for p in resources.files("bird").joinpath("openapi").iterdir() if p.name.endswith(".json"))
TRIED: Counter[str] = Counter()  # answers per status class ("2xx", "4xx", "5xx"), over every case sent


def _without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_without_descriptions(v) for v in node]
    return node


def assemble(ids: dict[str, str]) -> dict[str, Any]:
    """One OpenAPI 3.0 document from every fragment, each path parameter pinned to a real id."""
    doc: dict[str, Any] = {"openapi": "3.0.3", "info": {"title": "Bird (fragments)", "version": "1"},
                           "paths": {}, "components": {}}  # fmt: skip
    for name in FRAGMENTS:
        spec = json.loads(resources.files("bird").joinpath("openapi", name).read_text())
        for section, items in spec.get("components", {}).items():
            merged = doc["components"].setdefault(section, {})
            for key, value in items.items():
                if key in merged:
                    # Fragments repeat shared schemas (`Error`); they may differ in wording only.
                    assert _without_descriptions(merged[key]) == _without_descriptions(value), (name, key)
                merged.setdefault(key, value)
        for path, item in spec["paths"].items():
            params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string", "enum": [ids[p]]}}
                      for p in re.findall(r"{(\w+)}", path)]  # fmt: skip
            item = copy.deepcopy(item)
            for operation in item.values():
                operation["parameters"] = [*params, *operation.get("parameters", [])]
            doc["paths"].setdefault(path, {}).update(item)
    doc["security"] = spec.get("security", [])
    return doc


@pytest.fixture(scope="module")
def fuzzed(request):
    """The sandbox with a brand and an APPROVED campaign, a number and a connector, and the
    assembled schema pointing at them. Requests run on schemathesis's own ASGI client."""
    app = create_app(SandboxConfig.instant())
    with asgi.get_client(app) as client:

        def call(method: str, path: str, body: Any = None) -> dict[str, Any]:
            response = client.request(method, "http://testserver" + path, json=body, headers=AUTH)
            assert response.status_code < 300, response.text
            return response.json()

        def approve(kind: str, object_id: str) -> None:
            call("POST", f"/_sandbox/objects/{kind}/{object_id}/review", {"outcome": "approve"})

        brand = call("POST", f"/workspaces/{WS}/tcr-brands", BRAND)
        approve("brand", brand["id"])
        campaign = call("POST", f"/workspaces/{WS}/tcr-brands/{brand['id']}/campaigns", CAMPAIGN)
        approve("campaign", campaign["id"])
        stock = call("GET", f"/organizations/{ORG}/numbers-stock-items?countryCodes=US&prefix=%2B1415")
        (number,) = call("POST", f"/workspaces/{WS}/numbers-long-code",
                         {"numberStockItemIds": [stock["results"][0]["id"]]})["results"]  # fmt: skip
        connector = call("POST", f"/workspaces/{WS}/connectors", {
            "name": "SMS", "connectorTemplateRef": "sms-messagebird:1",
            "arguments": {"phoneNumberId": number["id"], "useCaseId": campaign["id"], "channelMessageType": "2fa"},
        })  # fmt: skip
        ids = {"organizationId": ORG, "workspaceId": WS, "brandId": brand["id"], "connectorId": connector["id"]}
        schema = schemathesis.openapi.from_dict(assemble(ids))
        # The sandbox ignores query parameters Bird does not document (sandbox/validation.py), as
        # HTTP APIs commonly do; the fragments do not say Bird refuses them, so none are sent.
        schema.config.generation.update(allow_extra_parameters=False)
        schema.app = app
        yield schema, client
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    total = sum(TRIED.values())
    with capture.global_and_fixture_disabled():  # the figure shows without -s
        reporter.write_line(f"\nschemathesis: {total} cases tried against the sandbox; answers "
                            f"{dict(sorted(TRIED.items()))}; 5xx found: {TRIED['5xx']}")  # fmt: skip


OPERATIONS = [(path, method) for name in FRAGMENTS
              for path, item in json.loads(resources.files("bird").joinpath("openapi", name).read_text())["paths"].items()
              for method in item]  # fmt: skip
CHECKS = {
    GenerationMode.POSITIVE: [not_a_server_error, response_schema_conformance, content_type_conformance],
    GenerationMode.NEGATIVE: [not_a_server_error, negative_data_rejection],
}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_bird_schema_against_the_sandbox(fuzzed, path, method, mode):
    schema, client = fuzzed
    operation = schema[path][method.upper()]

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(session=client, headers=AUTH)
        TRIED[f"{response.status_code // 100}xx"] += 1
        case.validate_response(response, checks=CHECKS[mode])

    run()
