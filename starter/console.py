"""The CLI's Rich console: colour and live updates on a terminal; wide plain text in a pipe or log,
where Rich's 80-column default would fold every id in two."""

from __future__ import annotations

import sys

from rich.console import Console

PIPE_WIDTH = 200


def make_console() -> Console:
    width = None if sys.stdout.isatty() else PIPE_WIDTH
    return Console(highlight=False, soft_wrap=True, width=width)
