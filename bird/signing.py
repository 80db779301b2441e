"""Bird's webhook signatures: how Bird signs a delivery and how a receiver checks it.

`messagebird-signature` = base64(HMAC-SHA256(key, timestamp + "\\n" + url + "\\n" + sha256(body)))
where `sha256(body)` is the raw 32-byte digest and `messagebird-request-timestamp` is Unix seconds
(Bird's webhook documentation). Bird retries with the original timestamp for about a day.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable

SIGNATURE_HEADER = "messagebird-signature"
TIMESTAMP_HEADER = "messagebird-request-timestamp"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
DEFAULT_MAX_AGE_SECONDS = 24 * 3600


class SignatureError(Exception):
    """The delivery is not from Bird (or not for this URL, or too old). Deliberately vague."""


def sign(key: str, timestamp: str, url: str, body: bytes) -> str:
    digest = hashlib.sha256(body).digest()
    message = timestamp.encode() + b"\n" + url.encode() + b"\n" + digest
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


def signed_headers(key: str, timestamp: int, url: str, body: bytes) -> dict[str, str]:
    ts = str(timestamp)
    return {SIGNATURE_HEADER: sign(key, ts, url, body), TIMESTAMP_HEADER: ts}


def verify(
    keys: Iterable[str],
    *,
    signature: str | None,
    timestamp: str | None,
    url: str,
    body: bytes,
    now: float,
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
) -> None:
    """Raise `SignatureError` unless one of `keys` signed exactly this body for exactly this URL
    within `max_age_seconds` of `now`. Several keys allow rotation without dropped deliveries."""
    if not signature or not timestamp:
        raise SignatureError("missing signature")
    # Unix seconds: ASCII digits, and few enough of them to compare with a float clock (400 digits
    # would overflow the comparison). Anything else is a delivery nobody signed.
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SignatureError("bad timestamp")
    sent_at = int(timestamp)
    if abs(now - sent_at) > max_age_seconds:
        raise SignatureError("timestamp outside the accepted window")
    try:
        given = base64.b64decode(signature, validate=True)
    except ValueError:
        raise SignatureError("bad signature") from None
    matched = False
    for key in keys:
        expected = base64.b64decode(sign(key, timestamp, url, body))
        # check every key, so timing does not reveal which one matched
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise SignatureError("bad signature")
