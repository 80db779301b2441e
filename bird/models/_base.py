"""Shared pydantic configuration for Bird's wire models.

Requests mirror Bird's OpenAPI strictly (`additionalProperties: false` -> forbid);
responses keep whatever Bird adds, so a new field never breaks a poll.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel

_WIRE = ConfigDict(
    alias_generator=to_camel,
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=False,
)


class BirdRequest(BaseModel):
    """A request body: camelCase on the wire, unknown fields refused as Bird refuses them."""

    model_config = ConfigDict(extra="forbid", **_WIRE)

    def to_wire(self) -> dict[str, Any]:
        """The JSON body Bird expects: camelCase, unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def all_optional(model: type[BirdRequest], name: str, doc: str, module: str) -> type[BirdRequest]:
    """`model` with every field optional and its constraints kept: the body of a partial update."""
    fields: dict[str, Any] = {}
    for field_name, field in model.model_fields.items():
        annotation: Any = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
        # the alias too: an explicit one (vettings' `class`) is not what the generator would give
        fields[field_name] = (annotation | None, Field(default=None, alias=field.alias))
    return create_model(name, __base__=BirdRequest, __doc__=doc, __module__=module, **fields)


class BirdResponse(BaseModel):
    """A response body: the fields we use are typed, the rest are kept as Bird sent them."""

    model_config = ConfigDict(extra="allow", **_WIRE)


T = TypeVar("T")


class Page(BirdResponse, Generic[T]):
    """One page of a Bird list: `results` plus `nextPageToken` while more remain."""

    results: list[T] = []
    next_page_token: str | None = None


def _unique(items: list[Any] | None) -> list[Any] | None:
    if items is not None and len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


UniqueItems = AfterValidator(_unique)

# OpenAPI `format: uuid`, checked the way Bird's validator does: the canonical 8-4-4-4-12 hex form.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Uuid = Annotated[str, Field(pattern=UUID_PATTERN)]
