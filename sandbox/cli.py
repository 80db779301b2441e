"""`tendlc sandbox` (and `python -m sandbox`): run the fake Bird API under uvicorn."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from pydantic import SecretStr, ValidationError

from bird.client import DEFAULT_READINESS_PATH
from runtime.settings import SandboxSettings
from sandbox.config import DEFAULT_ACCESS_KEY, DEFAULT_ORGANIZATION_ID, DEFAULT_WORKSPACE_ID, SandboxConfig
from sandbox.routing import ConnectionDropped
from sandbox.state import StateFileError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8787, help="port to listen on (default: %(default)s)")
    parser.add_argument("--state", type=Path, metavar="FILE", help="keep the state in FILE, so it survives a restart")
    parser.add_argument(
        "--access-key",
        default=None,
        help=f"the key clients must send as 'Authorization: AccessKey <key>' "
        f"(default: $BIRD_ACCESS_KEY, else {DEFAULT_ACCESS_KEY!r})",
    )
    parser.add_argument("--organization-id", help=f"(default: $BIRD_ORGANIZATION_ID, else {DEFAULT_ORGANIZATION_ID})")
    parser.add_argument("--workspace-id", help=f"(default: $BIRD_WORKSPACE_ID, else {DEFAULT_WORKSPACE_ID})")
    parser.add_argument(
        "--readiness-path", help="connector readiness path (default: $BIRD_READINESS_PATH, else Bird's)"
    )
    parser.add_argument("--seed", type=int, help="seed of the fault generators (default: 0)")
    parser.add_argument(
        "--delay", type=float, metavar="SECONDS", help="every review and linking delay, in seconds (0 allowed)"
    )
    parser.add_argument(
        "--deliver-to",
        action="append",
        default=[],
        metavar="[SUBSCRIPTION_URL=]URL",
        help="POST webhooks to URL instead of the subscription's public URL (signatures still cover "
        "the subscription URL); without SUBSCRIPTION_URL= for every subscription. Repeatable.",
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        metavar="N",
        help="Bird's organization-wide quota: at most N API requests a second (bursts of N), beyond it 429 "
        "with Retry-After; /_sandbox is not limited (default: unlimited)",
    )
    parser.add_argument(
        "--stock",
        action="append",
        default=[],
        metavar="AREA_CODE=COUNT",
        help="stock COUNT numbers (up to 9999) under AREA_CODE, e.g. 415=1200 for a fleet buying under one "
        "prefix. Repeatable.",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="a JSON file of SandboxConfig fields")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def build_config(args: argparse.Namespace) -> SandboxConfig:
    """The configuration: `--config FILE` first, then the environment, then the flags."""
    data = json.loads(args.config.read_text()) if args.config else {}
    config = SandboxConfig.model_validate(data)
    env = SandboxSettings()
    env_key = env.bird_access_key.get_secret_value() if env.bird_access_key else None
    changes: dict[str, object] = {
        "access_key": SecretStr(args.access_key or env_key or config.access_key.get_secret_value()),
        "organization_id": args.organization_id or env.bird_organization_id or config.organization_id,
        "workspace_id": args.workspace_id or env.bird_workspace_id or config.workspace_id,
    }
    # only a readiness path someone set, not the settings' default, replaces the --config file's
    env_readiness = env.bird_readiness_path if "bird_readiness_path" in env.model_fields_set else None
    readiness = args.readiness_path or env_readiness
    if readiness:
        changes["readiness_path"] = readiness
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.state is not None:
        changes["state_file"] = args.state
    if args.delay is not None:
        changes["delays"] = config.delays.model_copy(
            update={name: args.delay for name in ("brand", "vetting", "campaign", "channel", "connector")}
        )
    if args.rate_limit is not None:
        changes["rate_limit"] = {"per_second": args.rate_limit}
    if args.stock:
        counts = dict(config.stock_per_area_code)
        for item in args.stock:
            area_code, sep, count = item.partition("=")
            if not sep or not count.strip().isdigit():
                raise ValueError(f"--stock {item!r}: expected AREA_CODE=COUNT, e.g. 415=1200")
            counts[area_code.strip()] = int(count)
        changes["stock_per_area_code"] = counts
    if args.deliver_to:
        routes = dict(config.deliver_to)
        for item in args.deliver_to:
            public, sep, local = item.partition("=")
            routes[public if sep else "*"] = local if sep else public
        changes["deliver_to"] = routes
    return SandboxConfig.model_validate({**config.model_dump(by_alias=False), **changes})


class _HideDroppedConnections(logging.Filter):
    """A dropped connection is a fault asked for, not a crash: one line instead of a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], ConnectionDropped):
            record.msg, record.args, record.exc_info = "fault injected: connection dropped", (), None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _banner(config: SandboxConfig, host: str, port: int) -> str:
    key = config.access_key.get_secret_value()
    shown = repr(key) if key == DEFAULT_ACCESS_KEY else "(from --access-key / BIRD_ACCESS_KEY, not shown)"
    lines = [
        f"Bird 10DLC sandbox on http://{host}:{port}",
        f"  organization id  {config.organization_id}",
        f"  workspace id     {config.workspace_id}",
        f"  access key       {shown}",
        f"  readiness path   {config.readiness_path}"
        + ("" if config.readiness_path == DEFAULT_READINESS_PATH else " (custom)"),
        f"  state file       {config.state_file or '(none: state is lost on exit)'}",
        f"  control plane    http://{host}:{port}/_sandbox/  (see README, 'Sandbox')",
    ]
    if config.rate_limit:
        lines.append(f"  rate limit       {config.rate_limit.per_second:g} requests/s (bursts of {config.rate_limit.burst})")
    for public, local in config.deliver_to.items():
        lines.append(f"  deliver          {public} -> {local}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from sandbox.app import create_app

    try:
        config = build_config(args)
        app = create_app(config)
    except (ValidationError, ValueError, OSError, StateFileError) as exc:
        print(f"tendlc sandbox: cannot start: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("uvicorn.error").addFilter(_HideDroppedConnections())
    print(_banner(config, args.host, args.port), flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
