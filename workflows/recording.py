"""Writing down what the onboarding learns: objects and their statuses, charges, steps entered and
finished (with their metrics), and the search attributes the relay routes events by."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.base import ObjectRef
    from activities.connectors import ConnectorRef
    from bird.events import parse_time
    from bird.statuses import CHANNEL_ACTIVE, CHECK_OK
    from workflows import metrics
    from workflows.contract import ONBOARDING_ID, STEP, Step
    from workflows.details import current_details
    from workflows.features import FEWER_COMMANDS_PATCH, uses
    from workflows.kinds import KINDS, Kind
    from workflows.state import OnboardingState

# Since FEWER_COMMANDS_PATCH a workflow task issues fewer commands (so fewer history events and
# server calls): every search attribute that changes while the workflow runs up to its next await
# goes out in one upsert instead of one upsert per change (the task that records a new id usually
# also enters the next step); a look at an object runs without a heartbeat timeout
# (workflows/options.py); a wait runs one timer at a time, its deadline bounding the gap and the
# poll round rather than running beside them (workflows/waits.py).


class OncePerTask:
    """Runs `write` once the code running now reaches its next await: the workflow's event loop
    runs every ready callback before the task completes, so all the changes made in between share
    one command. `settle` writes at once what is pending (before the run ends or continues as new:
    nothing runs after that)."""

    def __init__(self, write: Callable[[], None]) -> None:
        self._write = write
        self._scheduled = False

    def schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._run)

    def settle(self) -> None:
        if self._scheduled:
            self._run()

    def _run(self) -> None:
        self._scheduled = False
        self._write()


class Recorder:
    """Records into one onboarding's state, and keeps its search attributes in step with it."""

    def __init__(self, state: OnboardingState) -> None:
        self.state = state
        self._indexed: dict[str, str] = {}
        self._upsert = OncePerTask(self.flush)
        self._seeded = False

    # -- objects ----------------------------------------------------------------------------------

    def record(self, kind: Kind, ref: Any) -> None:
        """What a look or a poll answered about the object (the connector answers with readiness)."""
        if kind == Kind.CONNECTOR:
            self.record_connector(ref)
        else:
            self.observe(kind, ref)

    def record_last_seen(self, kind: Kind, seen: dict[str, Any]) -> None:
        """What a round of polls that ended undecided last saw (the connector's may name the channel)."""
        if kind == Kind.CONNECTOR:
            self.record_connector(ConnectorRef.model_validate(seen))
        else:
            self.last_polled(ObjectRef.model_validate(seen).status)

    def observe(self, kind: Kind, ref: ObjectRef) -> None:
        obj = self.state.objects.get(kind)
        obj.id = obj.id or ref.id
        seen = obj.observe(
            ref.status, parse_time(ref.updated_at), workflow.now(), answer=True, gets_win=self.state.gets_win
        )
        if seen or ref.status == obj.status:
            obj.reason = ref.reason or obj.reason
        self.last_polled(ref.status)

    def resubmitted(self, kind: Kind, ref: ObjectRef) -> None:
        # Back under review: `observe` would take that for a stale report and keep the rejection.
        obj = self.state.objects.get(kind)
        obj.status, obj.status_at, obj.reason, obj.seen_at = ref.status, parse_time(ref.updated_at), None, workflow.now()
        obj.from_event = False

    def record_created(self, kind: Kind, ref: ObjectRef) -> None:
        """Record a billable object the moment its id is known, and index it for the relay."""
        self.observe(kind, ref)
        self.state.charge(kind, ref.id, workflow.now(), matched_existing=not ref.created)
        self.learned_ids()

    def record_connector(self, ref: ConnectorRef) -> None:
        o, now = self.state.objects, workflow.now()
        o.connector.observe(
            ref.status or (CHECK_OK if ref.ready else None), None, now, answer=True, gets_win=self.state.gets_win
        )
        o.connector.reason = "; ".join(ref.problems) or None
        if ref.channel_id and o.channel.id is None:
            o.channel.id, o.channel.seen_at = ref.channel_id, now
        self.last_polled(ref.status)
        self.learned_ids()

    def ready(self) -> None:
        """At DONE, the connector shows the readiness that made it DONE, not a warning a poll saw
        before the channel's event said it was active."""
        o = self.state.objects
        if o.connector.status == CHECK_OK:
            o.connector.reason = None
        elif o.channel.status == CHANNEL_ACTIVE:
            o.connector.status, o.connector.reason = CHANNEL_ACTIVE, f"ready: channel {o.channel.id} is {CHANNEL_ACTIVE}"

    def last_polled(self, status: str | None) -> None:
        if self.state.waiting is not None:
            self.state.waiting.last_polled_status = status

    def learned_ids(self) -> None:
        """After recording an id: apply events that arrived before it (Bird can announce an object
        before the call that created it returns), and index the id for the relay."""
        self.state.apply_early_events(workflow.now())
        self.index()

    # -- steps ------------------------------------------------------------------------------------

    def enter(self, step: Step) -> None:
        self.state.enter(step, workflow.now())
        self.index()

    def finish(self, step: Step, note: str = "") -> None:
        closed_before = {id(r) for r in self.state.steps if r.ended_at is not None}
        self.state.finish(step, workflow.now(), note=note)
        for record in self.state.steps:
            if record.step == step and record.ended_at is not None and id(record) not in closed_before:
                seconds = (record.ended_at - record.started_at).total_seconds()
                metrics.step_finished(step, record.outcome or "done", seconds)

    # -- search attributes ------------------------------------------------------------------------

    def index(self) -> None:
        """Keep the search attributes current: the step, and every id the relay routes events by.

        Patched: the upsert is deferred (`OncePerTask`), so that all changes made in one workflow
        task share one upsert."""
        if not uses(self.state.generation, FEWER_COMMANDS_PATCH):
            self.flush()
            return
        if not self._seeded:
            # What the workflow already carries (set at start by `tendlc start`, or carried over by
            # continue-as-new) needs no upsert of its own.
            self._seeded = True
            for pair in workflow.info().typed_search_attributes:
                if isinstance(pair.value, str):
                    self._indexed.setdefault(pair.key.name, pair.value)
        self._upsert.schedule()

    def settle(self) -> None:
        """Upsert now what a deferred upsert would (before the run ends: nothing runs after that)."""
        self._upsert.settle()

    def flush(self) -> None:
        """Upsert what changed since the last upsert, if anything did."""
        s = self.state
        wanted = [(STEP, s.step.value), (ONBOARDING_ID, s.onboarding_id)] + [
            (info.routing_key, s.objects.get(kind).id) for kind, info in KINDS.items() if info.routing_key is not None
        ]
        changed = [(key, value) for key, value in wanted if value and self._indexed.get(key.name) != value]
        if changed:
            workflow.upsert_search_attributes([key.value_set(value) for key, value in changed])
            self._indexed.update({key.name: value for key, value in changed})
        self.show()

    def show(self) -> None:
        """Keep the Temporal UI's "Current Details" true (not a command: nothing to replay)."""
        workflow.set_current_details(current_details(self.state))
