"""A fake Temporal client for the relay's unit tests: just the calls the relay makes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from workflows.contract import BirdEvent

# `Name = "id"` and `Name IN ("a", "b")`: the two forms the relay's queries use (relay/lookups.py).
_CLAUSE = re.compile(r'(\w+) (?:= "([^"]*)"|IN \(((?:"[^"]*"(?:, )?)+)\))')
_QUOTED = re.compile(r'"([^"]*)"')


def unavailable() -> RPCError:
    return RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")


@dataclass
class Listed:
    id: str
    run_id: str = "run-1"
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def typed_search_attributes(self) -> TypedSearchAttributes:
        return TypedSearchAttributes(
            [SearchAttributePair(SearchAttributeKey.for_keyword(k), v) for k, v in self.attributes.items()]
        )


class FakeHandle:
    def __init__(self, temporal: FakeTemporal, workflow_id: str) -> None:
        self._temporal = temporal
        self.id = workflow_id

    async def signal(self, signal: Any, arg: Any = None, **_: Any) -> None:
        t = self._temporal
        if t.down:
            raise unavailable()
        if self.id not in t.workflows or self.id in t.closed:
            raise RPCError("workflow execution already completed", RPCStatusCode.NOT_FOUND, b"")
        assert isinstance(arg, BirdEvent)
        t.signals.append((self.id, getattr(signal, "__name__", signal), arg))


class FakeServiceClient:
    def __init__(self, temporal: FakeTemporal) -> None:
        self._temporal = temporal

    async def check_health(self, **_: Any) -> bool:
        if self._temporal.down:
            raise unavailable()
        return True


@dataclass
class FakeTemporal:
    """Workflows by id with their search attributes. `lag` list calls see nothing (visibility lag)."""

    workflows: dict[str, dict[str, str]] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    signals: list[tuple[str, Any, BirdEvent]] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    down: bool = False
    lag: int = 0

    def __post_init__(self) -> None:
        self.service_client = FakeServiceClient(self)

    def add(self, workflow_id: str, **attributes: str) -> None:
        self.workflows[workflow_id] = attributes

    def list_workflows(self, query: str, **_: Any) -> AsyncIterator[Listed]:
        self.queries.append(query)
        return self._list(query)

    async def _list(self, query: str) -> AsyncIterator[Listed]:
        if self.down:
            raise unavailable()
        if self.lag > 0:
            self.lag -= 1
            return
        assert query.endswith('AND ExecutionStatus = "Running"'), query
        wanted = [
            (k, v)
            for k, one, many in _CLAUSE.findall(query)
            if k != "ExecutionStatus"
            for v in ([one] if not many else _QUOTED.findall(many))
        ]
        for workflow_id, attributes in self.workflows.items():
            if workflow_id in self.closed:
                continue
            if any(attributes.get(k) == v for k, v in wanted):
                yield Listed(workflow_id, attributes=dict(attributes))

    def get_workflow_handle(self, workflow_id: str, **_: Any) -> FakeHandle:
        return FakeHandle(self, workflow_id)
