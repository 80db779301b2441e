"""The webhook relay: Bird's deliveries, verified, become `bird_event` signals of the onboardings.

Order of work for `POST /webhooks/bird`: size limit, signature (nothing in an unverified body is
looked at), envelope, dedupe, lookup, signal. The answer is 2xx only once Temporal has accepted
every signal or there was nothing to signal; any Temporal trouble is a 503 so that Bird retries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from temporalio.client import Client

from bird.events import FOLLOWED_EVENTS, describe_event, event_problem
from bird.models import WebhookEnvelope
from bird.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify
from relay.dedupe import RecentDeliveries
from relay.link import TemporalLink, TemporalUnavailable
from relay.lookups import Lookups
from relay.routing import Routes, find_onboardings, signal_onboardings
from relay.verdicts import ends_a_wait
from runtime.settings import RelaySettings
from workflows.contract import BirdEvent

WEBHOOK_PATH = "/webhooks/bird"
log = logging.getLogger("relay")


class _TooLarge(Exception):
    pass


def delivery_id_for(body: bytes) -> str:
    """The dedupe key: the digest of the signed body. Bird repeats a delivery byte for byte."""
    return hashlib.sha256(body).hexdigest()


def _kv(**fields: Any) -> str:
    """`key=value` pairs for one log line; values with spaces or quotes are quoted."""
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        text = str(value)
        if not text or any(c in text for c in ' "=\n'):
            text = json.dumps(text)
        parts.append(f"{key}={text}")
    return " ".join(parts)


async def _read_body(request: Request, limit: int) -> bytes:
    # Content-Length first, so an announced oversize body is refused without reading it; then count
    # while reading, since the header can be absent (chunked) or wrong.
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    settings: RelaySettings,
    *,
    client: Client | Any | None = None,
    connect: Callable[[], Awaitable[Client]] | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The relay as an ASGI app. Give a Temporal `client` (tests pass a fake), or `connect`, called on
    first use. Raises `RelayConfigError` when the settings cannot verify a delivery."""
    settings.check()
    keys = settings.signing_keys()
    public_url = settings.relay_public_url or ""
    link = TemporalLink(client=client, connect=connect, timeout=settings.relay_temporal_timeout_seconds)
    recent = RecentDeliveries(settings.relay_dedupe_size)
    routes = Routes(settings.relay_route_cache_size, settings.relay_route_cache_seconds)
    lookups = Lookups(link)
    outcomes: Counter[str] = Counter()  # deliveries answered, by outcome, since the relay started

    app = FastAPI(title="bird-10dlc webhook relay", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.link = link
    app.state.recent = recent
    app.state.routes = routes
    app.state.lookups = lookups
    app.state.outcomes = outcomes

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        if await link.healthy():
            return JSONResponse({"status": "ok", "temporal": "reachable"})
        return JSONResponse({"status": "unavailable", "temporal": "unreachable"}, status_code=503)

    @app.post(WEBHOOK_PATH)
    async def webhook(request: Request) -> Response:
        started = time.monotonic()
        fields: dict[str, Any] = {}

        def done(status: int, outcome: str, level: int = logging.INFO, **extra: Any) -> Response:
            latency_ms = round((time.monotonic() - started) * 1000, 1)
            outcomes[outcome] += 1
            log.log(level, "delivery %s", _kv(**fields, outcome=outcome, status=status, latency_ms=latency_ms, **extra))
            if status == 401:
                return Response(status_code=401)  # no detail for someone who cannot sign
            return JSONResponse({"outcome": outcome}, status_code=status)

        try:
            body = await _read_body(request, settings.relay_max_body_bytes)
        except _TooLarge:
            return done(413, "too_large", logging.WARNING)

        try:
            verify(
                keys,
                signature=request.headers.get(SIGNATURE_HEADER),
                timestamp=request.headers.get(TIMESTAMP_HEADER),
                url=public_url,
                body=body,
                now=clock(),
                max_age_seconds=settings.relay_max_age_seconds,
            )
        except SignatureError as exc:
            # The reason stays in our log (missing / bad / outside the window), never in the answer.
            return done(401, "unauthorized", logging.WARNING, reason=str(exc))

        delivery_id = delivery_id_for(body)
        fields["delivery"] = delivery_id[:16]
        try:
            envelope = WebhookEnvelope.model_validate_json(body)
        except ValidationError:
            return done(400, "malformed", logging.WARNING)
        fields.update(service=envelope.service, event=envelope.event)
        log.debug("delivery %s payload=%s", _kv(**fields), json.dumps(envelope.payload))

        problem = event_problem(envelope.service, envelope.event, envelope.payload)
        if problem is not None:
            # One of ours with a field the onboarding could not read (an id that is a number, a time
            # without a zone): refused here, before it can reach a workflow.
            return done(400, "malformed_event", logging.WARNING, reason=problem)
        ref = describe_event(envelope.service, envelope.event, envelope.payload)
        if ref is None:
            if (envelope.service, envelope.event) in FOLLOWED_EVENTS:
                # One of ours without an id or a status: nothing to route, and a retry cannot help
                # (a 4xx would only have Bird retry it for a day). Polling covers the object.
                return done(200, "unroutable", logging.WARNING)
            return done(200, "ignored")
        fields.update(object_id=ref.object_id, object_status=ref.status)
        if delivery_id in recent:
            return done(200, "duplicate")

        async def route() -> tuple[str, dict[str, str]]:
            """Find the owners and signal them: once per delivery, however many copies are waiting."""
            if delivery_id in recent:
                return "duplicate", {}
            # An event that cannot end a wait (an object announced as it is created, still PENDING)
            # goes to the onboardings visible now, without waiting for one: the onboarding that
            # created the object learns the same status (or a later one) from the create's answer.
            verdict = ends_a_wait(ref)
            retry_seconds = settings.relay_lookup_retry_seconds if verdict else 0.0
            owners = await find_onboardings(lookups, ref, retry_seconds=retry_seconds, routes=routes)
            if not owners:
                # Polling covers what no onboarding claims; a 2xx stops Bird retrying for a day.
                return ("unmatched" if verdict else "unmatched_undecided"), {}
            event = BirdEvent(
                service=envelope.service,
                event=envelope.event,
                payload=envelope.payload,
                delivery_id=delivery_id,
                received_at=datetime.fromtimestamp(clock(), UTC).isoformat(),
            )
            signalled = await signal_onboardings(link, owners, event, routes=routes, ref=ref)
            if not signalled:
                return "unmatched", {"closed": ",".join(owners)}
            recent.remember(delivery_id)
            return "signalled", {"workflows": ",".join(signalled)}

        # Copies of one delivery share one lookup and one signal rather than queueing behind each
        # other (an unmatched lookup takes RELAY_LOOKUP_RETRY_SECONDS); other deliveries wait alongside, their
        # lookups sharing one query a round (relay/lookups.py).
        try:
            (outcome, extra), joined = await recent.shared(delivery_id, route)
        except TemporalUnavailable as exc:
            return done(503, "temporal_unavailable", logging.ERROR, error=str(exc))
        if joined and outcome == "signalled":
            return done(200, "duplicate")
        return done(200, outcome, logging.INFO, **extra)

    return app

