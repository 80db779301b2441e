"""`python -m bench.bare_asgi --port N [--signal]`: the relay's floors, served exactly as `tendlc
relay` serves the relay (uvicorn, one process, the same log level, no access log, the same
limits: relay/server.py with the default settings).

- without `--signal`: an ASGI handler that reads the delivery and answers 200;
- with `--signal`: what any relay that answers only once Temporal has accepted the signal must do:
  read the delivery, one visibility lookup of the open onboardings that own its object (the
  relay's own query, relay/routing.py) and one `SignalWorkflowExecution` to each, then 200. No
  signature check, no dedupe, no retry of an empty lookup, no cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from datetime import UTC, datetime
from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return  # lifespan: nothing to start
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


class LookupAndSignal:
    """The lookup+signal floor's ASGI app; connects to Temporal (the stack's settings) on first use."""

    def __init__(self) -> None:
        self._client: Any = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from bird.events import describe_event
        from relay.routing import routing_query
        from runtime.connection import connect
        from workflows.contract import BIRD_EVENT_SIGNAL, BirdEvent

        if scope["type"] != "http":
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        envelope = json.loads(body)
        ref = describe_event(envelope["service"], envelope["event"], envelope["payload"])
        query = routing_query(ref) if ref is not None else None
        if query is not None:
            if self._client is None:
                self._client = await connect()
            event = BirdEvent(
                service=envelope["service"], event=envelope["event"], payload=envelope["payload"],
                delivery_id=hashlib.sha256(body).hexdigest(), received_at=datetime.now(UTC).isoformat(),
            )  # fmt: skip
            async for wf in self._client.list_workflows(query):
                await self._client.get_workflow_handle(wf.id).signal(BIRD_EVENT_SIGNAL, event)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


def main() -> None:
    import uvicorn

    from relay.server import server_config
    from runtime.settings import RelaySettings

    parser = argparse.ArgumentParser(prog="python -m bench.bare_asgi")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--signal", action="store_true", help="the lookup+signal floor")
    args = parser.parse_args()
    # as relay/cli.py serves the relay
    handler = LookupAndSignal() if args.signal else app
    config = server_config(handler, RelaySettings(_env_file=None), host=args.host, port=args.port, log_level=args.log_level)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
