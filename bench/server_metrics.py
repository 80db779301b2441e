"""Temporal's own account of a run: the dev server's Prometheus counters, read before and after,
per operation: the frontend calls it served (`service_requests`) and the persistence (SQLite) calls
it made (`persistence_requests`, `persistence_latency_sum`)."""

from __future__ import annotations

import re
import urllib.request
from collections import defaultdict
from typing import Any

_LINE = re.compile(r"^(?P<name>[a-z_]+)\{(?P<labels>[^}]*)\} (?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')
REPORT_INTERVAL = 2.0  # seconds; the server's metrics reporter flushes about every second
WANTED = ("service_requests", "service_latency_sum", "persistence_requests", "persistence_latency_sum")

LOOKUP = "frontend ListWorkflowExecutions"

Sample = defaultdict[tuple[str, str], float]  # (metric, "service operation") -> value


def scrape(url: str) -> Sample:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        text = response.read().decode()
    out: Sample = defaultdict(float)
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match or match["name"] not in WANTED:
            continue
        labels = dict(_LABEL.findall(match["labels"]))
        operation = f"{labels.get('service_name', '?')} {labels.get('operation', '?')}"
        out[(match["name"], operation)] += float(match["value"])
    return out


def per_workflow(before: Sample, after: Sample, workflows: int, top: int = 12) -> dict[str, Any]:
    """The run's frontend calls and persistence calls per workflow, the costliest first."""
    diff = {key: after[key] - before.get(key, 0.0) for key in after}
    n = max(workflows, 1)

    def table(count_name: str, latency_name: str) -> list[dict[str, Any]]:
        # Long polls wait by design: their latency is idle time, not work.
        ops = {op for (name, op) in diff if name == count_name and diff[(name, op)] > 0 and " Poll" not in op}
        rows: list[dict[str, Any]] = [{"operation": op, "calls": round(diff[(count_name, op)] / n, 2),
                 "ms": round(1000 * diff.get((latency_name, op), 0.0) / n, 2)} for op in ops]  # fmt: skip
        return sorted(rows, key=lambda r: (-r["ms"], -r["calls"]))[:top]



    def total(name: str) -> float:
        return sum(v for (metric, _), v in diff.items() if metric == name)

    return {
        # the relay's visibility lookups, whether or not they are among the costliest
        "lookups": round(diff.get(("service_requests", LOOKUP), 0.0) / n, 2),
        "frontend_calls": round(total("service_requests") / n, 1),
        "persistence_calls": round(total("persistence_requests") / n, 1),
        "persistence_ms": round(1000 * total("persistence_latency_sum") / n, 1),
        "frontend": table("service_requests", "service_latency_sum"),
        "persistence": table("persistence_requests", "persistence_latency_sum"),
    }
