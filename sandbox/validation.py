"""Requests checked against Bird's own OpenAPI fragments (bird/openapi/*.json), with `jsonschema`.

Deliberately not against our pydantic models: the sandbox is then a second, independent reading
of Bird's schema, and a model that drifts from it fails against the sandbox.

OpenAPI 3.0 is not JSON Schema; `to_json_schema` converts what these files use: `$ref` to
components, `nullable: true`, `allOf`/`oneOf` (kept as they are), and `$ref` siblings, which
JSON Schema would apply and OpenAPI ignores. `discriminator` stays: JSON Schema ignores it, and
the error report uses it to blame the branch the request meant.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# operation -> (OpenAPI file, component schema of its request body)
REQUEST_BODIES: dict[str, tuple[str, str]] = {
    "buy_numbers": ("buy-long-code-numbers.json", "CreateWorkspaceLongCodeNumbers"),
    "create_brand": ("create-workspace-brand.json", "Workspace"),
    "create_vetting": ("create-brand-vetting.json", "CreateBrandVetting"),
    "create_campaign": ("create-campaign.json", "CreateCampaign"),
    "create_connector": ("create-connector.json", "CreateConnectorReq"),
    "create_webhook_subscription": ("create-webhook-subscription.json", "CreateWebhookSubscription"),
}
# The fragments give no schema for `PATCH …/campaigns/{id}` or `PATCH …/tcr-brands/{id}`: each
# takes its create's fields, each optional (and, for a campaign, nothing else).
PARTIAL_BODIES: dict[str, str] = {"patch_campaign": "create_campaign", "update_brand": "create_brand"}
# The list operations whose query parameters a fragment documents; every other list takes
# Bird's common pagination parameters (`limit` 1-99, `pageToken`), documented in the same files.
QUERIES: dict[str, str] = {
    "list_stock_items": "list-numbers-stock-items.json",
    "list_resellers": "list-resellers.json",
}
PAGINATION_FILE = "list-numbers-stock-items.json"
PAGINATION_PARAMETERS = ("queryLimit", "queryCursor")


@dataclass(frozen=True)
class FieldError:
    field: str  # the wire name, dotted for nested fields: `eventFilters.0.value`
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@cache
def load_spec(name: str) -> dict[str, Any]:
    """One vendored OpenAPI file, read from the installed `bird` package."""
    return json.loads(resources.files("bird").joinpath("openapi", name).read_text())


def to_json_schema(node: Any) -> Any:
    """Convert one OpenAPI 3.0 schema (and everything below it) to JSON Schema 2020-12."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        # OpenAPI 3.0 ignores a $ref's siblings, except that tools honour `nullable` there.
        ref = {"$ref": node["$ref"].replace("#/components/schemas/", "#/$defs/")}
        return {"anyOf": [ref, {"type": "null"}]} if node.get("nullable") else ref
    out = {key: to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if out.get("type") == "array" and isinstance(out.get("items"), dict):
        items = out["items"]
        # bird/openapi/create-campaign.json puts `minItems: 1, maxItems: 5` on the *items* of
        # `samples` (and `maxItems: 5` on those of `attachmentUrls`), where JSON Schema ignores
        # them on a string. The descriptions ("Between 1-5 sample messages", "Up to 5
        # attachment URLs") say they bound the array, so they are moved up to it.
        if items.get("type") != "array":
            for bound in ("minItems", "maxItems"):
                if bound in items:
                    out.setdefault(bound, items.pop(bound))
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _document(spec: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    defs = {name: to_json_schema(schema) for name, schema in spec.get("components", {}).get("schemas", {}).items()}
    return {"$schema": SCHEMA_DIALECT, "$defs": defs, **to_json_schema(root)}


FORMATS = FormatChecker()


@FORMATS.checks("iso3166-1")
def _country_code(value: object) -> bool:
    # `NumbersCountryCode`: "The country code in ISO 3166-1 alpha-2 format" (`US`, `CA`).
    return not isinstance(value, str) or (len(value) == 2 and value.isascii() and value.isalpha() and value.isupper())


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMATS)


@cache
def body_validator(operation: str) -> Draft202012Validator:
    if operation in PARTIAL_BODIES:
        file, component = REQUEST_BODIES[PARTIAL_BODIES[operation]]
        spec = load_spec(file)
        create = copy.deepcopy(spec["components"]["schemas"][component])
        create.pop("required", None)
        return _validator(_document(spec, create))
    file, component = REQUEST_BODIES[operation]
    spec = load_spec(file)
    return _validator(_document(spec, {"$ref": f"#/components/schemas/{component}"}))


@cache
def response_validator(file: str, component: str) -> Draft202012Validator:
    """A validator for one of the fragments' response schemas (the sandbox's own answers are
    tested against these)."""
    spec = load_spec(file)
    return _validator(_document(spec, {"$ref": f"#/components/schemas/{component}"}))


def _parameters(operation: str) -> list[dict[str, Any]]:
    if operation in QUERIES:
        spec = load_spec(QUERIES[operation])
        (path_item,) = spec["paths"].values()
        (op,) = path_item.values()
        refs = [p["$ref"].rsplit("/", 1)[-1] for p in op.get("parameters", [])]
    else:
        spec = load_spec(PAGINATION_FILE)
        refs = list(PAGINATION_PARAMETERS)
    return [spec["components"]["parameters"][name] for name in refs]


@cache
def _query(operation: str) -> tuple[dict[str, dict[str, Any]], Draft202012Validator]:
    spec = load_spec(QUERIES.get(operation, PAGINATION_FILE))
    params = {p["name"]: p["schema"] for p in _parameters(operation)}
    # Unknown query parameters are ignored, as HTTP APIs commonly do.
    root = {"type": "object", "properties": params}
    return params, _validator(_document(spec, root))


def parse_query(operation: str, multi: dict[str, list[str]]) -> tuple[dict[str, Any], list[FieldError]]:
    """The operation's query parameters, typed as its schema says, and what is wrong with them.

    Arrays may come as repeated parameters (`countryCodes=US&countryCodes=CA`, as httpx sends
    lists) or comma-separated. Values that cannot be converted are passed on as strings so the
    schema names them.
    """
    params, validator = _query(operation)
    values: dict[str, Any] = {}
    for name, schema in params.items():
        if name not in multi:
            continue
        raw = multi[name]
        kind = schema.get("type")
        if kind == "array":
            values[name] = [part for item in raw for part in item.split(",") if part != ""]
        elif kind == "integer":
            values[name] = _integer(raw[-1])
        elif kind == "boolean":
            values[name] = {"true": True, "false": False}.get(raw[-1].lower(), raw[-1])
        else:
            values[name] = raw[-1]
    return values, explain(validator, values)


def _integer(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:  # not a number, or more digits than Python converts: the schema names it
        return text


def check_body(operation: str, body: Any) -> list[FieldError]:
    """Everything wrong with a request body, each naming its field (empty when valid)."""
    return explain(body_validator(operation), body)


def explain(validator: Draft202012Validator, instance: Any) -> list[FieldError]:
    errors = [_describe(error) for error in validator.iter_errors(instance)]
    found = [item for group in errors for item in group]
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda e: e.field)


def _join(path: Any, *more: Any) -> str:
    parts = [str(p) for p in (*path, *more)]
    return ".".join(parts) if parts else "(body)"


def _describe(error: ValidationError) -> list[FieldError]:
    path = list(error.absolute_path)
    keyword = error.validator
    value = error.validator_value
    instance = error.instance
    if keyword in ("oneOf", "anyOf") and error.context:
        return _closest_branch(error)
    if keyword == "required":
        return [
            FieldError(_join(path, name), "is required")
            for name in value
            if isinstance(instance, dict) and name not in instance
        ]
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = [name for name in instance if name not in known]
        return [FieldError(_join(path, name), "is not a field of this request") for name in extra]
    return [FieldError(_join(path), _message(keyword, value, instance, error))]


def _closest_branch(error: ValidationError) -> list[FieldError]:
    """No branch of a oneOf/anyOf matched: blame the branch the request meant, not all of them.

    That is the branch its `discriminator` names (webhook subscriptions: `service`), else the
    only branch whose tag (an `enum` such as a filter's `key`) matched, else jsonschema's pick.
    """
    by_branch: dict[int, list[ValidationError]] = defaultdict(list)
    for sub in error.context:
        by_branch[sub.relative_schema_path[0]].append(sub)
    discriminator = error.schema.get("discriminator")
    if discriminator and isinstance(error.instance, dict):
        prop = discriminator["propertyName"]
        tag = error.instance.get(prop)
        # Only a string can name a branch (an object or a list as the tag is not even hashable).
        target = discriminator.get("mapping", {}).get(tag) if isinstance(tag, str) else None
        if target is None:
            keys = ", ".join(json.dumps(k) for k in discriminator.get("mapping", {}))
            got = json.dumps(error.instance.get(prop))
            return [FieldError(_join(error.absolute_path, prop), f"must be one of {keys} (got {got})")]
        for i, branch in enumerate(error.schema[error.validator]):
            if branch.get("$ref", "").rsplit("/", 1)[-1] == target.rsplit("/", 1)[-1]:
                return [item for sub in by_branch[i] for item in _describe(sub)]
    tagged = [subs for subs in by_branch.values() if not any(s.validator == "enum" for s in subs)]
    if len(tagged) == 1:
        return [item for sub in tagged[0] for item in _describe(sub)]
    if not tagged:
        # No branch's tag matched: the tag is what is wrong; list every value any branch takes.
        allowed: dict[str, list[Any]] = defaultdict(list)
        got_by_field: dict[str, Any] = {}
        for sub in error.context:
            if sub.validator == "enum":
                field = _join(sub.absolute_path)
                allowed[field] += [v for v in sub.validator_value if v not in allowed[field]]
                got_by_field[field] = sub.instance
        if allowed:
            return [FieldError(field, _message("enum", values, got_by_field[field], error)) for field, values in allowed.items()]
    return _describe(best_match(error.context))


def _message(keyword: Any, value: Any, instance: Any, error: ValidationError) -> str:
    if keyword == "enum":
        shown = ", ".join(json.dumps(v) for v in value)
        return f"must be one of {shown} (got {json.dumps(instance)})"
    if keyword == "minLength":
        return f"must be at least {value} characters long (got {len(instance)})"
    if keyword == "maxLength":
        return f"must be at most {value} characters long (got {len(instance)})"
    if keyword == "minItems":
        return f"must have at least {value} item{'s' if value != 1 else ''} (got {len(instance)})"
    if keyword == "maxItems":
        return f"must have at most {value} items (got {len(instance)})"
    if keyword == "uniqueItems":
        return "must not repeat an item"
    if keyword == "pattern":
        return f"must match {value}"
    if keyword == "format" and value == "iso3166-1":
        return f"must be an ISO 3166-1 alpha-2 country code such as \"US\" (got {json.dumps(instance)})"
    if keyword == "format":
        return f"must be a valid {value}"
    if keyword == "type":
        kinds = value if isinstance(value, list) else [value]
        return f"must be of type {' or '.join(kinds)}"
    if keyword == "minimum":
        return f"must be at least {value}"
    if keyword == "maximum":
        return f"must be at most {value}"
    return error.message
