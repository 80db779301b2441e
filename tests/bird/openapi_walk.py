"""Walk Bird's OpenAPI request schemas: build a valid instance of each, and one broken variant per
constraint (required, enum, length, pattern, item count, unknown field), so tests can check that
our models accept and refuse exactly what the schema does."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPENAPI_DIR = Path(__file__).resolve().parents[2] / "bird" / "openapi"
UUID = "123e4567-e89b-12d3-a456-426614174000"

# What a sensible value looks like for fields whose constraints live in a pattern or a format.
_PATTERN_EXAMPLES = {
    r"^https://([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}(/[^\s]*)?$": "https://relay.example.com/webhooks/bird",
}


def load(name: str) -> dict[str, Any]:
    return json.loads((OPENAPI_DIR / name).read_text())


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref` and flatten `allOf` (the request schemas use it only to wrap one object)."""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = {**spec["components"]["schemas"][name], **{k: v for k, v in schema.items() if k != "$ref"}}
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = resolve(spec, part)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
            if part.get("additionalProperties") is False:
                merged["additionalProperties"] = False
        return merged
    return schema


def array_bounds(schema: dict[str, Any]) -> tuple[int | None, int | None]:
    """An array's item-count bounds. Bird writes some of them on `items` (create-campaign.json,
    `samples` and `attachmentUrls`); read there too, as Bird's descriptions intend."""
    items = schema.get("items", {})
    lo = schema.get("minItems", items.get("minItems"))
    hi = schema.get("maxItems", items.get("maxItems"))
    return lo, hi


def example(spec: dict[str, Any], schema: dict[str, Any], *, full: bool) -> Any:
    schema = resolve(spec, schema)
    if "enum" in schema:
        return next((v for v in schema["enum"] if v != ""), schema["enum"][0])
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if kind == "object":
        props = schema.get("properties", {})
        names = props if full else schema.get("required", [])
        body = {name: example(spec, props[name], full=full) for name in names if name in props}
        if body.get("key") == "channelId":
            # the per-service oneOf of webhook filters wants a uuid for channelId
            body["value"] = UUID
        return body
    if kind == "array":
        lo, _ = array_bounds(schema)
        item = schema.get("items", {"type": "string"})
        count = max(lo or 0, 1)
        values = [example(spec, item, full=full) for _ in range(count)]
        if schema.get("uniqueItems") and all(isinstance(v, str) for v in values):
            values = [f"{v}{i}" if i else v for i, v in enumerate(values)]
        return values
    if kind == "boolean":
        return True
    if kind == "integer":
        return max(schema.get("minimum", 1), 1) if "maximum" not in schema else schema["maximum"]
    if "oneOf" in schema:
        return example(spec, schema["oneOf"][0], full=full)
    if schema.get("format") == "uuid":
        return UUID
    if schema.get("format") == "email":
        return "support@example.com"
    if "pattern" in schema:
        return _PATTERN_EXAMPLES[schema["pattern"]]
    lo, hi = schema.get("minLength", 1), schema.get("maxLength", 60)
    text = "Example text for a Bird field, long enough for its minimum length of characters. " * 4
    return text[: max(lo, min(hi, 30))]


@dataclass
class Variant:
    field: str  # the wire name that must be blamed
    why: str
    body: dict[str, Any]


def broken_variants(spec: dict[str, Any], schema: dict[str, Any]) -> list[Variant]:
    """One invalid body per top-level constraint of `schema`."""
    schema = resolve(spec, schema)
    valid = example(spec, schema, full=True)
    out: list[Variant] = []

    def variant(field: str, why: str, value: Any = None, drop: bool = False) -> None:
        body = copy.deepcopy(valid)
        if drop:
            body.pop(field)
        else:
            body[field] = value
        out.append(Variant(field, why, body))

    for name in schema.get("required", []):
        variant(name, "missing required", drop=True)
    for name, prop in schema.get("properties", {}).items():
        prop = resolve(spec, prop)
        if "enum" in prop:
            bad = False if prop["enum"] == [True] else "NOT_IN_ENUM"
            variant(name, "not in enum", bad)
        if prop.get("type") == "string" and "enum" not in prop:
            if prop.get("minLength", 0) > 0:
                variant(name, "too short", "x" * (prop["minLength"] - 1))
            if "maxLength" in prop:
                variant(name, "too long", "x" * (prop["maxLength"] + 1))
            if "pattern" in prop or prop.get("format") == "uuid":
                variant(name, "pattern", "not a match")
        if prop.get("type") == "integer":
            if "minimum" in prop:
                variant(name, "below minimum", prop["minimum"] - 1)
            if "maximum" in prop:
                variant(name, "above maximum", prop["maximum"] + 1)
        if prop.get("type") == "array":
            item_schema = resolve(spec, prop.get("items", {}))
            if "enum" in item_schema:
                variant(name, "item not in enum", ["NOT_IN_ENUM"])
            if item_schema.get("format") == "uuid":
                variant(name, "item not a uuid", ["not-a-uuid"])
            lo, hi = array_bounds(prop)
            item = example(spec, prop.get("items", {"type": "string"}), full=True)
            if lo:
                variant(name, "too few items", [item] * (lo - 1))
            if hi is not None:
                items = [f"{item}{i}" if isinstance(item, str) else item for i in range(hi + 1)]
                variant(name, "too many items", items)
            if prop.get("uniqueItems"):
                variant(name, "duplicate items", [item, item])
    if schema.get("additionalProperties") is False:
        body = copy.deepcopy(valid)
        body["notABirdField"] = 1
        out.append(Variant("notABirdField", "unknown field", body))
    return out


def request_schema(spec: dict[str, Any]) -> dict[str, Any]:
    (path_item,) = spec["paths"].values()
    (operation,) = path_item.values()
    return operation["requestBody"]["content"]["application/json"]["schema"]


def query_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """The operation's query parameters as one object schema."""
    (path_item,) = spec["paths"].values()
    (operation,) = path_item.values()
    props = {}
    for param in operation.get("parameters", []):
        if "$ref" in param:
            param = spec["components"]["parameters"][param["$ref"].rsplit("/", 1)[-1]]
        props[param["name"]] = param["schema"]
    return {"type": "object", "properties": props, "required": []}
