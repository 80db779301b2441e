"""`python -m bench` (`make bench`): start the local stack, measure every figure beside its floor,
write bench/results.md and bench/results.json, print them."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import figures, machine, profiles, relay_figures, report
from bench.figures import Sizes
from bench.stack import BenchStack

OUT_DIR = Path(__file__).resolve().parent
QUICK = Sizes(onboardings=20, call_onboardings=3, parked=100, deliveries=300, concurrency=16, max_seconds=60.0)
SHARED_SHARE = 0.03  # other work using more than this share of the machine's CPU: the run was shared


def parse(argv: list[str]) -> argparse.Namespace:
    d = Sizes()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every figure")
    parser.add_argument("--onboardings", type=int, help=f"started at once for throughput (default {d.onboardings})")
    parser.add_argument("--call-onboardings", type=int, help=f"for the Bird-call counts (default {d.call_onboardings})")
    parser.add_argument("--parked", type=int, help=f"parked for the memory figure (default {d.parked})")
    parser.add_argument(
        "--deliveries", type=int, help=f"relay deliveries, and as many to its floor (default {d.deliveries})"
    )
    parser.add_argument("--concurrency", type=int, help=f"load generator connections (default {d.concurrency})")
    parser.add_argument(
        "--max-seconds", type=float, help=f"bound on each wait and load run (default {d.max_seconds:g})"
    )
    parser.add_argument(
        "--home", type=Path, default=Path(".tendlc/bench"), help="logs and state (default .tendlc/bench)"
    )
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="also sample the processes with py-spy during throughput and the relay; profiles to DIR")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where results.md/json go (default bench/)")
    return parser.parse_args(argv)


def sizes_from(args: argparse.Namespace) -> Sizes:
    sizes = QUICK if args.quick else Sizes()
    given = {
        "onboardings": args.onboardings, "call_onboardings": args.call_onboardings, "parked": args.parked,
        "deliveries": args.deliveries, "concurrency": args.concurrency, "max_seconds": args.max_seconds,
    }  # fmt: skip
    return replace(sizes, **{k: v for k, v in given.items() if v is not None})


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def measure(bench: BenchStack, sizes: Sizes) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    results: dict[str, Any] = {}
    steps = [
        ("calls_webhooks", "Bird calls per onboarding, with webhooks",
         lambda: figures.calls_with_webhooks(bench, sizes, tag)),
        ("calls_dropped", "Bird calls per onboarding, every webhook dropped",
         lambda: figures.calls_with_webhooks_dropped(bench, sizes, tag)),
        # the bare workflow takes the onboarding's timers as the first phase's histories show them
        ("throughput", f"throughput: {sizes.onboardings} bare workflows, then onboardings",
         lambda: figures.throughput(bench, sizes, tag, results["calls_webhooks"]["histories"]["timers_mean"])),
        ("memory", f"worker memory: {sizes.parked} onboardings parked",
         lambda: figures.parked_memory(bench, sizes, tag)),
        ("relay", f"relay: {sizes.deliveries} deliveries to the floor, then to the relay",
         lambda: relay_figures.relay(bench, sizes, results["memory"].pop("brand_ids"))),
    ]  # fmt: skip
    for key, what, phase in steps:
        began = time.monotonic()
        say(f"… {what}")
        results[key] = await phase()
        say(f"  done in {time.monotonic() - began:.0f}s")
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    sizes = sizes_from(args)
    about = machine.describe(argv)
    say(f"{about['command']}: {about['cores']} cores, {about['memory_gib']} GiB, {about['cpu_model']}; {about['os']}; "
        f"Python {about['python']}, temporalio {about['temporalio']}, {about['temporal_cli']}")  # fmt: skip
    say(f"sizes: {asdict(sizes)}; load average {about['load_average_at_start']}")
    began, busy, own = time.monotonic(), machine.busy_cpu_seconds(), machine.own_cpu_seconds()
    bench = BenchStack(args.home, sizes.stock, args.profile)
    try:
        say("… starting the stack (Temporal dev server, sandbox, relay, worker, bare worker)")
        bench.start()
        results = asyncio.run(measure(bench, sizes))
    finally:
        bench.stop()
    load_end = machine.load_average()
    seconds = time.monotonic() - began
    # What other work took from the machine meanwhile: all busy CPU less this run's own processes.
    others = max(0.0, (machine.busy_cpu_seconds() - busy) - (machine.own_cpu_seconds() - own))
    others_share = others / (seconds * (about["cores"] or 1))
    shared = others_share > SHARED_SHARE
    out = {
        "machine": about,
        "sizes": asdict(sizes),
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": round(seconds, 1),
        "load_average_at_end": load_end,
        "other_work_cpu_seconds": round(others, 1),
        "shared_note": (
            f"other work on the machine used {others:.0f} CPU seconds during the run "
            f"({100 * others_share:.0f}% of its capacity): " + ("the machine was shared" if shared else "it was quiet")
        ),
        **results,
    }
    notes = os.path.relpath(OUT_DIR / "NOTES.md", args.out.resolve())
    out["notes"] = (f"Every missed target above is taken apart in [NOTES.md]({notes}): what costs the difference, "
                    "from the process CPU, the server's metrics and the profiles (`python -m bench --profile DIR`).")
    if args.profile is not None:
        out["profiled"] = "profiled run: py-spy sampled the processes, figures are perturbed by it"
        found = profiles.summaries(args.profile)
        out["profiles"] = found
        (args.profile / "profiles.md").write_text(profiles.markdown(found))
        say(f"profiles: {args.profile / 'profiles.md'}")
    json_path, md_path = report.write(out, args.out)
    print(md_path.read_text())
    say(f"wrote {md_path} and {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
