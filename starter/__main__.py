"""`python -m starter FILE [--wait]` starts an onboarding; `python -m starter COMMAND ...` is `tendlc`."""

import sys

from starter.cli import COMMANDS, console_main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if not argv or argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv = ["start", *argv]
    console_main(argv)
