"""`python -m bench.load`: POST prepared deliveries to one URL over keep-alive connections, from
a process of its own, and report what came back as one JSON line.

A minimal HTTP/1.1 client on asyncio streams rather than httpx: on two cores the load generator
shares the CPU with the server it measures, and the less it spends per request the more of the
machine the server under test gets (the same for the relay and for its floor). Bounded both in
requests (the file) and in time (`--max-seconds`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit


def encode(host: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    status = int(status_line.split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    return status, await reader.readexactly(length) if length else b""


def outcome_of(status: int, body: bytes) -> str:
    """`<status>` or `<status> <outcome>` when the answer is the relay's `{"outcome": ...}`."""
    try:
        return f"{status} {json.loads(body)['outcome']}"
    except (ValueError, KeyError, TypeError):
        return str(status)


async def connection(
    target: tuple[str, int], requests: list[bytes], next_index: list[int], deadline: float, outcomes: Counter[str]
) -> None:
    reader, writer = await asyncio.open_connection(*target)
    try:
        while time.monotonic() < deadline and next_index[0] < len(requests):
            raw = requests[next_index[0]]
            next_index[0] += 1
            writer.write(raw)
            await writer.drain()
            status, body = await read_response(reader)
            outcomes[outcome_of(status, body)] += 1
    finally:
        writer.close()


async def run(url: str, deliveries: list[dict], concurrency: int, max_seconds: float) -> dict:
    parts = urlsplit(url)
    target = (parts.hostname or "127.0.0.1", parts.port or 80)
    requests = [encode(parts.netloc, parts.path, d["headers"], d["body"].encode()) for d in deliveries]
    outcomes: Counter[str] = Counter()
    next_index = [0]
    started = time.monotonic()
    results = await asyncio.gather(
        *(connection(target, requests, next_index, started + max_seconds, outcomes) for _ in range(concurrency)),
        return_exceptions=True,
    )
    elapsed = time.monotonic() - started
    errors = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    return {
        "url": url,
        "concurrency": concurrency,
        "sent": next_index[0],
        "answered": sum(outcomes.values()),
        "seconds": elapsed,
        "outcomes": dict(outcomes),
        "errors": errors[:5],
        "stopped_by_time": elapsed >= max_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--url", required=True)
    parser.add_argument("--deliveries", type=Path, required=True, help="JSON lines of {headers, body}")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()
    deliveries = [json.loads(line) for line in args.deliveries.read_text().splitlines() if line]
    result = asyncio.run(run(args.url, deliveries, args.concurrency, args.max_seconds))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
