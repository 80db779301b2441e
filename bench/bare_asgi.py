"""`python -m bench.bare_asgi --port N`: the relay's floor, an ASGI handler that reads the delivery
and answers 200, served exactly as `tendlc relay` serves the relay (uvicorn, one process, the
same log level, no access log, the same limits: relay/server.py with the default settings)."""

from __future__ import annotations

import argparse
from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return  # lifespan: nothing to start
    more = True
    while more:
        more = (await receive()).get("more_body", False)
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
    args = parser.parse_args()
    # as relay/cli.py serves the relay
    config = server_config(app, RelaySettings(_env_file=None), host=args.host, port=args.port, log_level=args.log_level)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
