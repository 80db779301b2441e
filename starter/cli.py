"""`tendlc`: the one command line. Each subcommand lives in its own module, imported only when used,
so `tendlc check` does not pay for the worker's imports and parts can grow independently."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from runtime.processes import exit_without_teardown

# name -> (module, one-line help). The module defines `configure(parser)` and `run(args) -> int`.
COMMANDS: dict[str, tuple[str, str]] = {
    "start": ("starter.start", "validate a request file and start its onboarding"),
    "check": ("starter.check", "pre-flight checks of a request file, without starting anything"),
    "status": ("starter.status", "one onboarding's timeline, objects, waits and charges"),
    "list": ("starter.listing", "a table of onboardings, a page at a time"),
    "costs": ("starter.costs", "what the listed onboardings were charged, per kind and per onboarding"),
    "resubmit-campaign": ("starter.operator", "correct and resubmit a declined or rejected campaign"),
    "resubmit-brand": ("starter.operator", "correct and resubmit a failed or rejected brand"),
    "cancel": ("starter.operator", "stop an onboarding, reporting what stays billed"),
    "extend-deadline": ("starter.operator", "wait longer for a decision whose wait ran out"),
    "retry": ("starter.retry", "try the step that stopped in NEEDS_ACTION again, with optional corrections"),
    "worker": ("worker.cli", "run the Temporal worker"),
    "relay": ("relay.cli", "run the webhook relay"),
    "webhooks": ("relay.setup", "make sure Bird posts 10DLC and channel events to the relay"),
    "sandbox": ("sandbox.cli", "run the fake Bird API"),
    "demo": ("starter.demo", "run everything locally and onboard the example customer"),
}


def installed_version() -> str:
    try:
        return version("bird-10dlc")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tendlc", description="US 10DLC onboarding on Bird, durable on Temporal.")
    parser.add_argument("--version", action="version", version=f"tendlc {installed_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if name == only:
            module = importlib.import_module(module_name)
            configure = getattr(module, f"configure_{name.replace('-', '_')}", None) or module.configure
            configure(command)
            command.set_defaults(_module=module, _name=name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    only = argv[0] if argv and argv[0] in COMMANDS else None
    args = build_parser(only).parse_args(argv)
    run = getattr(args._module, f"run_{args._name.replace('-', '_')}", None) or args._module.run
    try:
        return int(run(args) or 0)
    except KeyboardInterrupt:
        return 130


def console_main(argv: Sequence[str] | None = None) -> None:
    """The `tendlc` executable (see `exit_without_teardown` for how it exits)."""
    exit_without_teardown(main(argv))


if __name__ == "__main__":
    console_main()
