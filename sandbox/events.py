"""The events Bird posts on status changes, shaped as in Bird's 10DLC events page and the guide.

- `numbers` / `10dlc.brand` and `10dlc.campaign`: the object in camelCase, *without* its
  rejection (Bird: "Rejection descriptions are part of the ... objects but NOT the ... events").
- `numbers` / `10dlc.brandVetting` (subscribed to as `10dlc.vetting`): Go-style field names
  (`ID`, `Status`, `BrandID`, ...) and `Reasons: null`.
- `channels` / `channel.created` and `channel.updated`: the channel, `id` being the channel id,
  `identifier` the phone number, `useCaseId` the campaign; `status: active` once it can send.
"""

from __future__ import annotations

from typing import Any

Envelope = dict[str, Any]

# Brand fields in the order of the event example; absent optional ones are sent empty, as there.
_BRAND_FIELDS = (
    "id", "organizationId", "workspaceId", "status", "entityType", "firstName", "lastName", "displayName",
    "companyName", "ein", "einIssuingCountry", "phone", "street", "city", "state", "postalCode", "country",
    "email", "website", "vertical", "altBusinessId", "altBusinessIdType", "stockExchange", "stockSymbol",
    "createdAt", "updatedAt",
)  # fmt: skip
_BRAND_EMPTY = {"altBusinessId": "", "altBusinessIdType": "NONE", "stockExchange": "NONE", "stockSymbol": ""}
_CAMPAIGN_LEFT_OUT = ("rejection", "subscription", "attachments", "resellerId")

# Subscriptions name the vetting event `10dlc.vetting`; deliveries name it `10dlc.brandVetting`.
SUBSCRIPTION_EVENT = {"10dlc.brandVetting": "10dlc.vetting"}


def brand_event(brand: dict[str, Any], workspace_id: str) -> Envelope:
    # The event names the brand's workspaces as a list under `workspaceId`.
    source = {**_BRAND_EMPTY, **brand, "workspaceId": [workspace_id]}
    payload = {name: source.get(name, "") for name in _BRAND_FIELDS}
    return {"service": "numbers", "event": "10dlc.brand", "payload": payload}


def campaign_event(campaign: dict[str, Any], organization_id: str, workspace_id: str) -> Envelope:
    body = {k: v for k, v in campaign.items() if k not in _CAMPAIGN_LEFT_OUT}
    payload = {"id": body.pop("id"), "organizationId": organization_id, "workspaceId": workspace_id, **body}
    return {"service": "numbers", "event": "10dlc.campaign", "payload": payload}


def vetting_event(vetting: dict[str, Any], organization_id: str) -> Envelope:
    payload = {
        "ID": vetting["id"],
        "OrganizationID": organization_id,
        "BrandID": vetting["brandId"],
        "ExternalID": "",
        "Status": vetting["status"],
        "VettingProviderID": vetting.get("vettingProviderId", ""),
        "Token": vetting.get("token", ""),
        "Score": vetting.get("score", ""),
        "Class": vetting["class"],
        "Reasons": None,
        "createdAt": vetting["createdAt"],
        "updatedAt": vetting.get("updatedAt") or vetting["createdAt"],
    }
    return {"service": "numbers", "event": "10dlc.brandVetting", "payload": payload}


def channel_event(event: str, connector: dict[str, Any], status: str, updated_at: str) -> Envelope:
    """`channel.created` / `channel.updated` for the connector's channel."""
    arguments = connector.get("arguments") or {}
    phone = (connector.get("number") or {}).get("phoneNumber", "")
    active = "active" if status == "active" else "inactive"
    payload = {
        "id": connector["channel"]["channelId"],
        "status": status,
        "platformId": "sms-messagebird",
        "name": f"SMS - {phone}",
        "connectorId": connector["id"],
        "identifier": phone,
        "preferences": {
            "disableProfileFetching": False,
            "explicitMarketingOptOut": False,
            "trackAdInitiatedThreads": False,
        },
        "capabilities": {
            "messaging": {
                "displayName": "Messaging capabilities",
                "status": active,
                "outgoing": {"displayName": "Capability to send outgoing messages", "status": active},
                "incoming": {"displayName": "Capability to receive messages", "status": "active"},
            }
        },
        "useCaseId": arguments.get("useCaseId", ""),
        "useCaseType": arguments.get("channelMessageType", ""),
        "createdAt": connector["createdAt"],
        "updatedAt": updated_at,
    }
    return {"service": "channels", "event": event, "payload": payload}


def object_id_of(envelope: Envelope) -> str:
    payload = envelope["payload"]
    return str(payload.get("id") or payload.get("ID") or "")
