"""Scheduled status changes: the registry's reviews and the carriers' number linking.

    brand      PENDING -> APPROVED | REJECTED | FAILED              (rejection readable by GET)
    vetting    PENDING -> APPROVED | REJECTED | FAILED | EXPIRED    (reasons readable by GET)
    campaign   PENDING -> APPROVED | DECLINED | REJECTED | FAILED   (DECLINED -> PATCH -> PENDING)
    connector  created -> channel appears (channel.created, inactive)
                       -> useCaseStatus warning -> ok (channel.updated, status active)

Each change is a job due at a wall-clock time, kept in the state, so a restarted sandbox
carries on where it stopped (overdue jobs run at once). Every status change emits its event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import TYPE_CHECKING

from sandbox import events
from sandbox.scenario import STATUS_FOR, Kind, Review, reason_for, review_at
from sandbox.state import Job, JobAction, Wire
from sandbox.wire import iso, new_id

if TYPE_CHECKING:
    from sandbox.core import Sandbox

DEFAULT_VETTING_SCORE = "75"
log = logging.getLogger(__name__)


class Lifecycle:
    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._wake: asyncio.Event | None = None

    @property
    def _state(self):
        return self._sandbox.state

    # -- submissions -----------------------------------------------------------------------

    def created(self, kind: Kind, obj: Wire, match_fields: dict | None = None) -> None:
        """A new object: bind its review plan, announce it, and schedule what comes next."""
        fields = {**obj, **(match_fields or {})}
        self._state.plans[obj["id"]] = self._state.scenario.claim_plan(kind, fields)
        self._state.reviews_done[obj["id"]] = 0
        if kind == "connector":
            self._schedule("connector", obj["id"], "channel", self._sandbox.config.delays.channel)
        else:
            self.announce(kind, obj)
            self.submitted(kind, obj["id"])

    def submitted(self, kind: Kind, object_id: str) -> None:
        """The object awaits its next review: schedule it, unless the plan holds it."""
        review = self.next_review(object_id)
        if review.outcome == "hold":
            return
        delay = review.delay if review.delay is not None else getattr(self._sandbox.config.delays, kind)
        self._schedule(kind, object_id, "review", delay)

    def next_review(self, object_id: str) -> Review:
        return review_at(self._state.plans[object_id], self._state.reviews_done.get(object_id, 0))

    def announce(self, kind: Kind, obj: Wire) -> None:
        config = self._sandbox.config
        if kind == "brand":
            self._sandbox.emit(events.brand_event(obj, config.workspace_id))
        elif kind == "campaign":
            self._sandbox.emit(events.campaign_event(obj, config.organization_id, config.workspace_id))
        elif kind == "vetting":
            self._sandbox.emit(events.vetting_event(obj, config.organization_id))

    # -- the jobs --------------------------------------------------------------------------

    def _schedule(self, kind: Kind, object_id: str, action: JobAction, delay: float) -> None:
        job = Job(id=new_id(), kind=kind, object_id=object_id, action=action, due=time.time() + delay)
        self._state.schedule.append(job)
        if self._wake is not None:
            self._wake.set()

    def cancel(self, object_id: str, action: JobAction | None = None) -> None:
        self._state.schedule = [
            job
            for job in self._state.schedule
            if not (job.object_id == object_id and (action is None or job.action == action))
        ]

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        """Run jobs as they fall due, until cancelled."""
        self._wake = asyncio.Event()
        while True:
            self._wake.clear()
            now = time.time()
            due = sorted((job for job in self._state.schedule if job.due <= now), key=lambda job: job.due)
            for job in due:
                if job in self._state.schedule:  # an earlier job of this round may have cancelled it
                    try:
                        self._run_job(job)
                    except Exception:
                        # One broken job must not stop every other object's lifecycle.
                        log.exception("sandbox: %s job for %s %s failed", job.action, job.kind, job.object_id)
                        self.cancel(job.object_id, job.action)
            if due:
                self._sandbox.save()
            upcoming = [job.due for job in self._state.schedule]
            timeout = max(0.0, min(upcoming) - time.time()) if upcoming else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _run_job(self, job: Job) -> None:
        self._state.schedule.remove(job)
        objects = self._state.objects(job.kind)
        if job.object_id not in objects:
            return  # gone with a reset
        if job.action == "channel":
            self._open_channel(objects[job.object_id])
        else:
            self.apply(job.kind, job.object_id, self.next_review(job.object_id))

    # -- outcomes --------------------------------------------------------------------------

    def apply(self, kind: Kind, object_id: str, review: Review) -> Wire:
        """Settle the object's pending review with `review`'s outcome, now, and emit the event."""
        obj = self._state.objects(kind)[object_id]
        self.cancel(object_id, "review")
        self._state.reviews_done[object_id] = self._state.reviews_done.get(object_id, 0) + 1
        status = STATUS_FOR[kind][review.outcome]
        reason = reason_for(kind, review)
        now = iso()
        if kind == "connector":
            self._link_number(obj, status, now)
            return obj
        obj["status"] = status
        obj["updatedAt"] = now
        if reason is None:
            obj.pop("rejection", None)
        else:
            obj["rejection"] = reason
        if kind == "brand" and status == "APPROVED":
            obj.setdefault("tcrBrandId", "B" + secrets.token_hex(3).upper())
        elif kind == "vetting":
            obj["score"] = (review.score or DEFAULT_VETTING_SCORE) if status == "APPROVED" else ""
            obj["reasons"] = [reason["description"]] if reason else []
        elif kind == "campaign" and status == "APPROVED":
            obj["subscription"] = {"status": "active", "subscribedAt": now, "updatedAt": now, "cancelledAt": None}
        self.announce(kind, obj)
        return obj

    def _open_channel(self, connector: Wire) -> None:
        """Bird creates the connector's channel asynchronously; the number is not linked yet."""
        if connector.get("channel"):
            return
        self.cancel(connector["id"], "channel")
        now = iso()
        connector["channel"] = {"channelId": new_id(), "platform": "sms-messagebird"}
        connector["updatedAt"] = now
        self._state.readiness[connector["id"]] = "warning"
        self._sandbox.emit(events.channel_event("channel.created", connector, "inactive", now))
        self.submitted("connector", connector["id"])

    def _link_number(self, connector: Wire, status: str, now: str) -> None:
        self._open_channel(connector)
        self.cancel(connector["id"], "review")  # opening the channel may have scheduled one
        self._state.readiness[connector["id"]] = status
        connector["updatedAt"] = now
        if status != "ok":
            return
        number = self._state.numbers.get((connector.get("arguments") or {}).get("phoneNumberId", ""))
        if number is not None:
            endpoint = number["endpoint"]
            endpoint["capabilities"][0]["outbound"] = {"status": "active"}
            endpoint["dependencies"] = [
                {
                    "type": "connector",
                    "connectorId": connector["id"],
                    "connectorTemplateRef": connector.get("connectorTemplateRef", ""),
                    "capabilities": ["sms"],
                }
            ]
            endpoint["updatedAt"] = number["updatedAt"] = now
        self._sandbox.emit(events.channel_event("channel.updated", connector, "active", now))

    def review_now(self, kind: Kind, object_id: str, review: Review) -> Wire:
        """A review decided from outside (the control plane), whatever was scheduled."""
        result = self.apply(kind, object_id, review)
        self._sandbox.save()
        self.wake()
        return result
