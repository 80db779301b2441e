"""The onboarding request file (`tendlc start FILE`): what one customer's onboarding asks for.

Brand, vetting and campaign bodies are Bird's own create bodies (camelCase, validated by the
models in `bird.models`), so a request that passes here is one Bird's schema accepts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from bird.models import BrandCreate, CampaignCreate, VettingCreate
from workflows.inputs import DeadlineDays

_DEFAULT_DAYS = DeadlineDays()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NumberOrder(_Strict):
    """Buy a new number from stock."""

    country_code: Annotated[str, Field(min_length=2, max_length=2)] = "US"
    # Bird accepts bare area-code digits ("415") or an E.164 prefix ("+1415")
    prefix: Annotated[str, Field(min_length=1, max_length=250)] | None = None


class ExistingNumber(_Strict):
    """Use a number the workspace already owns."""

    phone_number_id: Annotated[str, Field(min_length=1)]


class ExistingBrand(_Strict):
    """Use a brand already registered (and, ideally, approved)."""

    brand_id: Annotated[str, Field(min_length=1)]


class ConnectorRequest(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=255)]
    channel_message_type: Annotated[str, Field(min_length=1)] = "transactional"


class Deadlines(_Strict):
    """How long each wait may take before a person is asked to look (days)."""

    # the workflow's own defaults, so a request without `deadlines` gets exactly what it would
    brand_days: Annotated[float, Field(gt=0)] = _DEFAULT_DAYS.brand
    vetting_days: Annotated[float, Field(gt=0)] = _DEFAULT_DAYS.vetting
    campaign_days: Annotated[float, Field(gt=0)] = _DEFAULT_DAYS.campaign
    readiness_days: Annotated[float, Field(gt=0)] = _DEFAULT_DAYS.readiness


def _which(*, key: str):
    def pick(value: Any) -> str:
        if isinstance(value, dict):
            return "existing" if key in value else "new"
        return "existing" if hasattr(value, key) else "new"

    return Discriminator(pick)


NumberSpec = Annotated[
    Union[Annotated[ExistingNumber, Tag("existing")], Annotated[NumberOrder, Tag("new")]],
    _which(key="phone_number_id"),
]
BrandSpec = Annotated[
    Union[Annotated[ExistingBrand, Tag("existing")], Annotated[BrandCreate, Tag("new")]],
    _which(key="brand_id"),
]


class OnboardingRequest(_Strict):
    """One customer's onboarding, as the README's "The request file" describes it."""

    onboarding_id: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    workspace_id: str | None = None
    organization_id: str | None = None
    number: NumberSpec = Field(default_factory=NumberOrder)
    brand: BrandSpec
    vetting: VettingCreate | None = None
    campaign: CampaignCreate
    connector: ConnectorRequest
    deadlines: Deadlines = Field(default_factory=Deadlines)


class RequestError(Exception):
    """A request file that cannot be used; `errors` lists every problem, each naming its field."""

    def __init__(self, source: str, errors: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(errors))
        self.source = source
        self.errors = errors


_TAGS = {"existing", "new"}


def field_path(loc: tuple[Any, ...]) -> str:
    """`("brand", "new", "displayName")` -> `"brand.displayName"` (union tags are noise to a reader)."""
    return ".".join(str(part) for part in loc if part not in _TAGS) or "(request)"


def describe_errors(exc: ValidationError) -> list[str]:
    return [f"{field_path(err['loc'])}: {err['msg']}" for err in exc.errors()]


def parse_request(data: Any, source: str = "request") -> OnboardingRequest:
    try:
        return OnboardingRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestError(source, describe_errors(exc)) from None


def load_request(path: str | Path) -> OnboardingRequest:
    """Read and validate a request file, reporting every error at once."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise RequestError(str(path), ["file not found"]) from None
    except json.JSONDecodeError as exc:
        raise RequestError(str(path), [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]) from None
    return parse_request(data, str(path))


def read_request_lines(path: str | Path) -> list[tuple[str, Any]]:
    """A `.jsonl` batch: one (`FILE:LINE`, parsed JSON) per non-blank line, or (`FILE:LINE`,
    `RequestError`) for a line that is not JSON. `RequestError` for a file that cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RequestError(str(path), ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RequestError(str(path), [f"cannot read: {exc}"]) from None
    rows: list[tuple[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        source = f"{path}:{number}"
        try:
            rows.append((source, json.loads(line)))
        except json.JSONDecodeError as exc:
            rows.append((source, RequestError(source, [f"(request): not valid JSON: {exc.msg} at column {exc.colno}"])))
    if not rows:
        raise RequestError(str(path), ["no requests (every line is blank)"])
    return rows
