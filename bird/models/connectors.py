"""Channel connectors: installing the SMS channel and reading whether carriers linked the number."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field

from bird.models._base import BirdRequest, BirdResponse
from bird.statuses import CHECK_OK

# The connector template the guide installs for a US 10DLC SMS channel.
SMS_CONNECTOR_TEMPLATE = "sms-messagebird:1"
USE_CASE_CHECK = "useCaseStatus"

# bird/openapi/create-connector.json, ConnectorArguments: "For SMS connectors (sms-messagebird:1),
# channelMessageType is required and must be one of promotional, transactional, conversational,
# emergency, 2fa."
ChannelMessageType = Literal["promotional", "transactional", "conversational", "emergency", "2fa"]
CHANNEL_MESSAGE_TYPES: tuple[str, ...] = get_args(ChannelMessageType)


class ConnectorCreate(BirdRequest):
    """Body of `POST /workspaces/{workspaceId}/connectors` (bird/openapi/create-connector.json)."""

    name: str
    connector_template_ref: str | None = None
    arguments: dict[str, Any] | None = None
    security_arguments: dict[str, dict[str, str]] | None = None
    channel_conversational_status_enabled: bool | None = None
    invitation_token: str | None = None


class ChannelConfig(BirdResponse):
    channel_id: str
    platform: str | None = None


class Connector(BirdResponse):
    id: str
    name: str
    workspace_id: str | None = None
    connector_template_ref: str | None = None
    arguments: dict[str, Any] | None = None
    # absent until Bird has created the channel, which happens asynchronously
    channel: ChannelConfig | None = None
    created_at: str | None = None


class Assertion(BirdResponse):
    name: str
    status: str
    message: str | None = None


class Check(BirdResponse):
    name: str
    status: str
    assertions: list[Assertion] = Field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """What is not yet `ok`, in Bird's words, for a status line."""
        return [f"{a.name}: {a.message or a.status}" for a in self.assertions if a.status != CHECK_OK]


class ConnectorReadiness(BirdResponse):
    """The connector status response. Bird's guide shows only the `useCaseStatus` check, not
    where it sits, so it is searched for by name anywhere in the body."""

    def use_case_check(self) -> Check | None:
        found = _find_named(self.model_dump(by_alias=True), USE_CASE_CHECK)
        return Check.model_validate(found) if found is not None else None

    @property
    def ready(self) -> bool:
        check = self.use_case_check()
        return check is not None and check.status == CHECK_OK


def _find_named(node: Any, name: str) -> dict[str, Any] | None:
    if isinstance(node, dict):
        if node.get("name") == name and "status" in node:
            return node
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        if (found := _find_named(child, name)) is not None:
            return found
    return None
