"""The onboarding request file (`tendlc start FILE`): what one customer's onboarding asks for.

Brand, vetting and campaign bodies are Bird's own create bodies (camelCase, validated by the
models in `bird.models`), so a request that passes here is one Bird's schema accepts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from bird.models import BrandCreate, CampaignCreate, VettingCreate
from bird.models.connectors import CHANNEL_MESSAGE_TYPES, ChannelMessageType
from intake.files import FileProblem, json_lines, read_json
from workflows.inputs import MAX_DEADLINE_DAYS, DeadlineDays

_DEFAULT_DAYS = DeadlineDays()


def _bird_name(snake: str, camel: str) -> Any:
    """Where the request carries one of Bird's fields, Bird's camelCase name is accepted as well as
    the snake_case one (errors name the field as the request spelled it)."""
    return AliasChoices(camel, snake)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NumberOrder(_Strict):
    """Buy a new number from stock."""

    country_code: Annotated[str, Field(min_length=2, max_length=2, validation_alias=_bird_name("country_code", "countryCode"))] = "US"
    # Bird accepts bare area-code digits ("415") or an E.164 prefix ("+1415")
    prefix: Annotated[str, Field(min_length=1, max_length=250)] | None = None


class ExistingNumber(_Strict):
    """Use a number the workspace already owns."""

    phone_number_id: Annotated[str, Field(min_length=1, validation_alias=_bird_name("phone_number_id", "phoneNumberId"))]


class ExistingBrand(_Strict):
    """Use a brand already registered (and, ideally, approved)."""

    brand_id: Annotated[str, Field(min_length=1, validation_alias=_bird_name("brand_id", "brandId"))]


class ExistingCampaign(_Strict):
    """Add the number to an approved campaign (of the brand named by `brand.brand_id`)."""

    campaign_id: Annotated[str, Field(min_length=1, validation_alias=_bird_name("campaign_id", "campaignId"))]


class ConnectorRequest(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=255)]
    # one of Bird's values (bird/models/connectors.py), checked here so that a typo is refused
    # before anything is bought rather than by the connector install at the end
    channel_message_type: Annotated[
        ChannelMessageType, Field(validation_alias=_bird_name("channel_message_type", "channelMessageType"))
    ] = "transactional"


# A deadline becomes a timer: a positive, finite number of days up to a year (the workflow clamps
# anything else it finds in an older input, workflows/inputs.py).
DeadlineDaysValue = Annotated[float, Field(gt=0, le=MAX_DEADLINE_DAYS, allow_inf_nan=False)]


class Deadlines(_Strict):
    """How long each wait may take before a person is asked to look (days)."""

    # the workflow's own defaults, so a request without `deadlines` gets exactly what it would
    brand_days: DeadlineDaysValue = _DEFAULT_DAYS.brand
    vetting_days: DeadlineDaysValue = _DEFAULT_DAYS.vetting
    campaign_days: DeadlineDaysValue = _DEFAULT_DAYS.campaign
    readiness_days: DeadlineDaysValue = _DEFAULT_DAYS.readiness


def _which(*keys: str):
    def pick(value: Any) -> str:
        if isinstance(value, dict):
            return "existing" if any(key in value for key in keys) else "new"
        return "existing" if any(hasattr(value, key) for key in keys) else "new"

    return Discriminator(pick)


NumberSpec = Annotated[
    Annotated[ExistingNumber, Tag("existing")] | Annotated[NumberOrder, Tag("new")],
    _which("phone_number_id", "phoneNumberId"),
]
BrandSpec = Annotated[
    Annotated[ExistingBrand, Tag("existing")] | Annotated[BrandCreate, Tag("new")],
    _which("brand_id", "brandId"),
]

CampaignSpec = Annotated[
    Annotated[ExistingCampaign, Tag("existing")] | Annotated[CampaignCreate, Tag("new")],
    _which("campaign_id", "campaignId"),
]


class OnboardingRequest(_Strict):
    """One customer's onboarding, as the README's "The request file" describes it."""

    onboarding_id: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    workspace_id: str | None = None
    organization_id: str | None = None
    number: NumberSpec = Field(default_factory=NumberOrder)
    brand: BrandSpec
    vetting: VettingCreate | None = None
    campaign: CampaignSpec
    connector: ConnectorRequest
    deadlines: Deadlines = Field(default_factory=Deadlines)
    # pre-flight rule ids the operator overrides (e.g. ["CAMPAIGN_PLACEHOLDER_TEXT"]); checked
    # against the rule table in intake/preflight, each accepted finding kept in the status
    accept: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _existing_campaign_needs_its_brand(self) -> OnboardingRequest:
        if isinstance(self.campaign, ExistingCampaign):
            if not isinstance(self.brand, ExistingBrand):
                raise PydanticCustomError(
                    "existing_campaign",
                    "brand: must be {\"brand_id\": ...} (the campaign's brand) when campaign.campaign_id is given",
                )
            if self.vetting is not None:
                raise PydanticCustomError(
                    "existing_campaign", "vetting: not used when campaign.campaign_id names an approved campaign"
                )
        return self


class RequestError(Exception):
    """A request file that cannot be used; `errors` lists every problem, each naming its field."""

    def __init__(self, source: str, errors: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(errors))
        self.source = source
        self.errors = errors


class UnreadableFile(RequestError):
    """The file is not UTF-8 JSON within the caps (intake/files.py): one problem, one line."""


_TAGS = {"existing", "new"}


def field_path(loc: tuple[Any, ...]) -> str:
    """`("brand", "new", "displayName")` -> `"brand.displayName"` (union tags are noise to a reader)."""
    return ".".join(str(part) for part in loc if part not in _TAGS) or "(request)"


def describe_errors(exc: ValidationError) -> list[str]:
    return [f"{field_path(err['loc'])}: {_message(err)}" for err in exc.errors()]


def _message(err: Any) -> str:
    if err["type"] == "literal_error" and err["loc"][-1] in ("channelMessageType", "channel_message_type"):
        # pydantic's "Input should be 'a', 'b' or 'c'" lists them; say it the way the README does
        return f"must be one of {', '.join(CHANNEL_MESSAGE_TYPES)} (Bird's values), got {err['input']!r}"
    return err["msg"]


def parse_request(data: Any, source: str = "request") -> OnboardingRequest:
    try:
        return OnboardingRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestError(source, describe_errors(exc)) from None


def load_request(path: str | Path) -> OnboardingRequest:
    """Read and validate a request file, reporting every error at once."""
    try:
        data = read_json(path)
    except FileProblem as exc:
        raise UnreadableFile(exc.source, [exc.problem]) from None
    return parse_request(data, str(path))


def read_request_lines(path: str | Path) -> list[tuple[str, Any]]:
    """A `.jsonl` batch: one (`FILE:LINE`, parsed JSON) per non-blank line, or (`FILE:LINE`,
    `RequestError`) for a line that is not JSON within the caps (intake/files.py).
    `UnreadableFile` for a file that cannot be read at all, or holds no request."""
    try:
        lines = list(json_lines(path))
    except FileProblem as exc:
        raise UnreadableFile(exc.source, [exc.problem]) from None
    rows: list[tuple[str, Any]] = []
    for number, value in lines:
        source = f"{path}:{number}"
        if isinstance(value, FileProblem):
            value = RequestError(source, [f"(request): {value.problem}"])
        rows.append((source, value))
    if not rows:
        raise UnreadableFile(str(path), ["no requests (every line is blank)"])
    return rows
