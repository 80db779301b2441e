"""`tendlc relay`: the webhook relay under uvicorn, settings from the environment."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from relay.app import create_app
from relay.server import server_config
from runtime.connection import connect
from runtime.settings import RelayConfigError, RelaySettings

DEFAULT_PORT = 8788


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    settings = RelaySettings()
    try:
        app = create_app(settings, connect=lambda: connect(settings))
    except RelayConfigError as exc:
        print(f"tendlc relay: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("relay").info(
        "starting url=%s keys=%d temporal=%s namespace=%s",
        settings.relay_public_url, len(settings.signing_keys()), settings.temporal_address, settings.temporal_namespace,
    )  # fmt: skip
    config = server_config(app, settings, host=args.host, port=args.port, log_level=args.log_level)
    uvicorn.Server(config).run()
    return 0
