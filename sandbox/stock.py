"""The organization's stock of US local numbers, and the workspace numbers bought from it.

Every number is +1 <area code> 555 <4 digits>. The first 100 of an area code are 555-0100..0199,
the range North American numbering reserves for fiction; a larger stock (a fleet buying under one
prefix) goes on through the rest of the 555 exchange, which is not given to subscribers either
(555 lines are reserved for directory and information services), skipping 555-1212, directory
assistance, the one 555 number people know: up to 9,999 numbers per area code, all obviously fake.
The sandbox never dials or texts any of them. Stock item ids are new for every fresh or reset stock
(Bird's are unique per stock item): a reset stock is a new one, so the stock-item claims a Temporal
server keeps for an earlier one (activities/claims.py) hold none of its items.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from sandbox.config import SandboxConfig
from sandbox.state import Wire

# The list filter `prefix`: area-code digits or an E.164 prefix, at most E.164's 15 digits
PREFIX = re.compile(r"\+?[0-9]{1,15}")
_BOTH = {"inbound": True, "outbound": True}
_FEATURES = {
    "voice-outbound": ("voice", "outbound"),
    "voice-inbound": ("voice", "inbound"),
    "sms-outbound": ("sms", "outbound"),
    "sms-inbound": ("sms", "inbound"),
    "mms-outbound": ("mms", "outbound"),
    "mms-inbound": ("mms", "inbound"),
    "whatsapp": ("whatsapp", "outbound"),
}


def money(amount: Decimal, currency: str) -> dict[str, Any]:
    """Bird's Money: an integer amount and an exponent, `115 * 10^-2 = 1.15`."""
    return {"currencyCode": currency, "amount": int(amount * 100), "exponent": -2}


def line_numbers(count: int) -> list[str]:
    """The first `count` 4-digit line numbers after 555: 0100-0199, then 0200-9999, then 0000-0099."""
    order = [*range(100, 200), *range(200, 10_000), *range(0, 100)]
    return [f"{n:04d}" for n in order if n != 1212][:count]


def stock_counts(config: SandboxConfig) -> dict[str, int]:
    """Area code -> how many numbers it is stocked with."""
    return {**{code: config.numbers_per_area_code for code in config.area_codes}, **config.stock_per_area_code}


def initial_stock(config: SandboxConfig) -> dict[str, Wire]:
    items: dict[str, Wire] = {}
    price = money(config.fees.number_monthly, config.fees.currency)
    for area_code, count in stock_counts(config).items():
        for line in line_numbers(count):
            number = f"+1{area_code}555{line}"
            item_id = str(uuid.uuid4())
            items[item_id] = {
                "id": item_id,
                "countryCode": "US",
                "type": "local",
                "numberString": number,
                "capabilities": {"voice": dict(_BOTH), "sms": dict(_BOTH), "mms": dict(_BOTH)},
                "monthlyPrice": dict(price),
                "backOrderRequired": False,
            }
    return items


def matches(item: Wire, query: dict[str, Any]) -> bool:
    """Whether a stock item passes the list filters (`countryCodes`, `types`, `features`, `prefix`)."""
    if "countryCodes" in query and item["countryCode"] not in query["countryCodes"]:
        return False
    if "types" in query and item["type"] not in query["types"]:
        return False
    for feature in query.get("features", []):
        capability, direction = _FEATURES[feature]
        if not item["capabilities"].get(capability, {}).get(direction):
            return False
    prefix = query.get("prefix")
    if prefix:
        # bird/openapi/list-numbers-stock-items.json: bare area-code digits ("205") or an E.164
        # prefix ("+1205"); partial prefixes match too ("+120").
        number = item["numberString"]
        national = number[2:] if number.startswith("+1") else number.lstrip("+")
        return number.startswith(prefix) if prefix.startswith("+") else national.startswith(prefix)
    return True


def workspace_number(item: Wire, number_id: str, now: str) -> Wire:
    """The workspace long-code number a stock item becomes once bought."""
    area_code = item["numberString"][2:5]
    return {
        "id": number_id,
        "endpointId": number_id,
        "numberString": item["numberString"],
        "countryCode": item["countryCode"],
        "type": item["type"],
        "capabilities": item["capabilities"],
        "createdAt": now,
        "updatedAt": now,
        "order": {
            "countryCode": item["countryCode"],
            "type": item["type"],
            "capabilities": ["voice", "sms", "mms"],
            "prefix": area_code,
            "status": "fulfilled",
            "createdAt": now,
            "updatedAt": now,
        },
        "endpoint": {
            "id": number_id,
            "type": "long-code-number",
            "instanceId": number_id,
            "name": item["numberString"],
            "capabilities": [
                {
                    "name": "sms",
                    "inbound": {"status": "active"},
                    # 10DLC: no US traffic until a campaign is linked to the number
                    "outbound": {"status": "inactive", "issues": ["use-case-not-ready"]},
                }
            ],
            "dependencies": [],
            "issues": [],
            "provisioningStatus": "provisioned",
            "createdAt": now,
            "updatedAt": now,
        },
    }
