"""Counting a history's shape and the decision → next activity latency."""

from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from bench.histories import percentile, shape_of, summary

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def event(event_id: int, kind: int, ms: int, **attributes) -> HistoryEvent:
    stamp = Timestamp()
    stamp.FromDatetime(T0 + timedelta(milliseconds=ms))
    return HistoryEvent(event_id=event_id, event_type=kind, event_time=stamp, **attributes)


def signal(event_id: int, ms: int, data: bytes) -> HistoryEvent:
    attrs = {"input": Payloads(payloads=[Payload(data=data)])}
    return event(event_id, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, ms,
                 workflow_execution_signaled_event_attributes=attrs)  # fmt: skip


def test_a_decision_is_timed_to_the_start_of_the_first_activity_scheduled_after_it():
    events = [
        event(1, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 0),
        event(2, EventType.EVENT_TYPE_TIMER_STARTED, 5),
        signal(3, 100, b'{"decided": false}'),
        signal(4, 200, b'{"decided": true}'),
        event(5, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 230),
        # written when the attempt ended, stamped with when it started
        event(6, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, 250,
              activity_task_started_event_attributes={"scheduled_event_id": 5}),  # fmt: skip
        event(7, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, 260),
        event(8, EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, 270),
    ]
    shape = shape_of(events, lambda arg: arg == {"decided": True})
    assert (shape.events, shape.activities, shape.timers, shape.signals, shape.upserts) == (8, 2, 1, 2, 1)
    assert shape.memo_writes == 1 and summary([shape])["memo_writes_mean"] == 1
    assert [round(x, 3) for x in shape.decision_to_activity] == [0.05]
    assert summary([shape])["decision_p99_ms"] == 50.0


def test_percentile_is_nearest_rank():
    values = [float(x) for x in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([], 99) == 0
