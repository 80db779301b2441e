"""Webhook deliveries: Bird's envelope, signed per subscription, POSTed and retried like Bird does.

- Signed with `bird.signing.signed_headers(subscription signingKey, timestamp, subscription URL,
  body)`; every retry carries the *original* timestamp and signature, as Bird's do.
- Retried on a non-2xx answer or a network error with exponential backoff, for a bounded time
  (`WebhookPolicy.retry_for`; Bird: about a day).
- Bird only posts to public https URLs. A delivery route (`--deliver-to`, or
  `/_sandbox/delivery-routes`) sends a subscription's deliveries to a local address instead, as
  a tunnel would; the signature still covers the subscription's URL.
- Faults (drop / duplicate / reorder / delay) are drawn per delivery from a seeded generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any

import httpx

from bird.signing import signed_headers
from sandbox.events import SUBSCRIPTION_EVENT, Envelope, object_id_of
from sandbox.state import Attempt, Delivery
from sandbox.wire import iso, new_id

if TYPE_CHECKING:
    from sandbox.core import Sandbox

USER_AGENT = "Bird-Webhooks (bird-10dlc sandbox)"


def encode(envelope: Envelope) -> bytes:
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def _filter_value(service: str, payload: dict[str, Any], key: str) -> Any:
    if service == "channels":
        if key == "channelId":
            return payload.get("id")
        if key == "channelStatus":
            return payload.get("status")
    return payload.get(key, payload.get(key[:1].upper() + key[1:]))


def matches(subscription: dict[str, Any], envelope: Envelope) -> bool:
    """Whether a subscription wants this event; its filters all have to hold (Bird ANDs them)."""
    if subscription.get("status") != "active" or subscription["service"] != envelope["service"]:
        return False
    event = envelope["event"]
    if subscription["event"] not in (event, SUBSCRIPTION_EVENT.get(event)):
        return False
    payload = envelope["payload"]
    return all(
        str(_filter_value(envelope["service"], payload, f["key"])) == f["value"]
        for f in subscription.get("eventFilters") or []
    )


class Dispatcher:
    def __init__(self, sandbox: Sandbox, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._sandbox = sandbox
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # subscription id -> releases for deliveries held back by the reorder fault
        self._held: dict[str, list[asyncio.Event]] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start delivering on the running loop (again, after `stop()` or on a new loop)."""
        policy = self._sandbox.config.webhooks
        self._tasks.clear()
        self._held.clear()
        self._http = httpx.AsyncClient(
            transport=self._transport,
            timeout=policy.timeout,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )
        # Deliveries still pending from before a restart (or a reset of the loop) carry on.
        for delivery in self._sandbox.state.deliveries:
            if delivery.status == "pending":
                self._launch(delivery, hold=None)

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._held.clear()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def cancel_all(self) -> None:
        """Forget every delivery in flight (on reset)."""
        for task in self._tasks:
            task.cancel()
        self._held.clear()

    @property
    def busy(self) -> bool:
        return any(not task.done() for task in self._tasks)

    # -- publishing ------------------------------------------------------------------------

    def publish(self, envelope: Envelope) -> None:
        """Deliver `envelope` to every subscription that wants it."""
        state = self._sandbox.state
        body = encode(envelope)
        now = time.time()
        for subscription in list(state.subscriptions.values()):
            if not matches(subscription, envelope):
                continue
            url = subscription["url"]
            target = state.delivery_routes.get(url) or state.delivery_routes.get("*") or url
            headers = {
                "Content-Type": "application/json",
                **signed_headers(subscription.get("signingKey", ""), int(now), url, body),
            }
            delivery = Delivery(
                id=new_id(),
                subscription_id=subscription["id"],
                service=envelope["service"],
                event=envelope["event"],
                object_id=object_id_of(envelope),
                url=url,
                target=target,
                timestamp=int(now),
                body=body.decode(),
                headers=headers,
                created=now,
            )
            decision = self._sandbox.faults.for_delivery()
            state.deliveries.append(delivery)
            if decision.drop:
                delivery.status = "dropped"
                continue
            delivery.not_before = now + decision.delay
            hold = self._hold(delivery.subscription_id) if decision.reorder else None
            self._launch(delivery, hold)
            if decision.duplicate:
                # The same bytes, signature and timestamp again, as a redelivery would be.
                twin = delivery.model_copy(update={"id": new_id(), "duplicate_of": delivery.id, "attempts": []})
                state.deliveries.append(twin)
                self._launch(twin, hold=None)
        state.trim_deliveries()

    def _hold(self, subscription_id: str) -> asyncio.Event:
        release = asyncio.Event()
        self._held.setdefault(subscription_id, []).append(release)
        return release

    def _release(self, subscription_id: str) -> None:
        for release in self._held.pop(subscription_id, []):
            release.set()

    def _launch(self, delivery: Delivery, hold: asyncio.Event | None) -> None:
        if self._http is None:
            return  # not running yet: `start()` picks pending deliveries up
        task = asyncio.get_running_loop().create_task(self._deliver(delivery, hold))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- delivering ------------------------------------------------------------------------

    async def _deliver(self, delivery: Delivery, hold: asyncio.Event | None) -> None:
        policy = self._sandbox.config.webhooks
        if hold is not None:
            hold_for = self._sandbox.state.faults.webhooks.reorder_hold_seconds
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(hold.wait(), hold_for)
        while delivery.status == "pending":
            wait = delivery.not_before - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            attempt = await self._attempt(delivery)
            delivery.attempts.append(attempt)
            if hold is None and len(delivery.attempts) == 1:
                self._release(delivery.subscription_id)
            if attempt.status is not None and 200 <= attempt.status < 300:
                delivery.status = "delivered"
            else:
                backoff = min(policy.retry_initial * 2 ** (len(delivery.attempts) - 1), policy.retry_max_interval)
                if time.time() + backoff - delivery.created > policy.retry_for:
                    delivery.status = "failed"
                else:
                    delivery.not_before = time.time() + backoff
            self._sandbox.save()

    async def _attempt(self, delivery: Delivery) -> Attempt:
        assert self._http is not None
        attempt = Attempt(at=iso(), timestamp=delivery.timestamp)
        try:
            response = await self._http.post(delivery.target, content=delivery.body.encode(), headers=delivery.headers)
            attempt.status = response.status_code
        except Exception as exc:  # a network error, or an in-process receiver's own exception
            attempt.error = type(exc).__name__
        return attempt
