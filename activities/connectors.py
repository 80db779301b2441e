"""The SMS channel connector: install it on the number and campaign, then watch carriers link them.

Installing is billed and not idempotent on Bird's side: a retried install first looks for a connector
with our name on our number, created since the onboarding first scheduled the install, and returns it.
"""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from activities.base import Ownership, bird_operation
from activities.errors import not_yet
from bird.client import BirdClient
from bird.models import SMS_CONNECTOR_TEMPLATE, Connector, ConnectorCreate


class InstallConnectorInput(BaseModel):
    workspace_id: str
    name: str
    phone_number_id: str
    campaign_id: str
    channel_message_type: str = "transactional"
    ownership: Ownership = Ownership()


class ConnectorQuery(BaseModel):
    workspace_id: str
    connector_id: str
    # The channel id, once the workflow knows it (from an event or an earlier look): the look then
    # needs no read of the connector itself.
    channel_id: str | None = None


class ConnectorRef(BaseModel):
    id: str
    channel_id: str | None = None  # Bird creates the channel asynchronously; absent at first
    status: str | None = None  # the useCaseStatus check: "ok" once carriers linked the number
    ready: bool = False
    problems: list[str] = []
    created: bool = True


def _channel_id(connector: Connector) -> str | None:
    return connector.channel.channel_id if connector.channel is not None else None


class ConnectorActivities:
    def __init__(self, bird: BirdClient) -> None:
        self._bird = bird  # holds the access key; it never travels in a payload

    @activity.defn
    @bird_operation
    async def install_connector(self, req: InstallConnectorInput) -> ConnectorRef:
        """Install the SMS connector as the guide's example does, unless ours exists already: same
        name and, when Bird shows the connector's arguments, the same number."""
        if req.ownership.must_look():
            async for connector in self._bird.each_connector(req.workspace_id):
                number = (connector.arguments or {}).get("phoneNumberId")
                if (
                    connector.name == req.name
                    and number in (None, req.phone_number_id)
                    and req.ownership.may_be_ours(connector.created_at)
                ):
                    return ConnectorRef(id=connector.id, channel_id=_channel_id(connector), created=False)
            req.ownership.found_nothing()
        body = ConnectorCreate(
            name=req.name,
            connector_template_ref=SMS_CONNECTOR_TEMPLATE,
            # Bird's US 10DLC API Installation guide: useCaseId is the campaign id
            arguments={
                "phoneNumberId": req.phone_number_id,
                "useCaseId": req.campaign_id,
                "channelMessageType": req.channel_message_type,
            },
            channel_conversational_status_enabled=True,
        )
        connector = await self._bird.create_connector(req.workspace_id, body)
        return ConnectorRef(id=connector.id, channel_id=_channel_id(connector))

    @activity.defn
    @bird_operation
    async def get_connector(self, req: ConnectorQuery) -> ConnectorRef:
        """The connector with its channel id (once Bird made the channel) and its readiness."""
        return await self._look(req)

    @activity.defn
    @bird_operation
    async def poll_connector(self, req: ConnectorQuery) -> ConnectorRef:
        """The connector once `useCaseStatus` is ok; `NotYet` (with what is missing) until then."""
        ref = await self._look(req)
        if not ref.ready:
            raise not_yet(f"connector {req.connector_id} readiness is {ref.status}", ref.model_dump())
        return ref

    async def _look(self, req: ConnectorQuery) -> ConnectorRef:
        """Readiness is what the wait is for. The connector itself is read only for its channel id,
        and only once carriers linked the number while the workflow does not know the id yet (Bird
        creates the channel asynchronously and announces it). So a look is one Bird request, as
        nearly every Bird activity is: the Bird queue's pacing counts activities, not requests."""
        readiness = await self._bird.get_connector_readiness(req.workspace_id, req.connector_id)
        channel_id = req.channel_id
        if channel_id is None and readiness.ready:
            channel_id = _channel_id(await self._bird.get_connector(req.workspace_id, req.connector_id))
        check = readiness.use_case_check()
        return ConnectorRef(
            id=req.connector_id,
            channel_id=channel_id,
            status=check.status if check is not None else None,
            ready=readiness.ready,
            problems=check.problems if check is not None else ["useCaseStatus not reported yet"],
        )
