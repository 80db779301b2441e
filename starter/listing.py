"""`tendlc list`: every onboarding's step at a glance, from Temporal's visibility (search attributes).

One page per call (`--limit` rows, default 200) and the token of the next (`--page-token`), or
`--all` pages streamed as they come: one visibility call per page however many onboardings there
are. Ids are printed whole, never cut to fit the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Coroutine
from datetime import timedelta
from typing import Any, TextIO, TypeVar

from rich.text import Text
from temporalio.client import Client
from temporalio.service import RPCError

from runtime.connection import connect
from runtime.settings import StarterSettings
from starter.console import make_console
from starter.views import decode_page_token, encode_page_token, list_view, onboarding_row
from workflows.contract import ONBOARDING_ID, STEP, WORKFLOW_ID_PREFIX, Step

T = TypeVar("T")

def step_name(text: str) -> Step:
    """`done`, `Done` or `DONE`; anything else is refused listing the valid steps."""
    try:
        return Step(text.strip().upper())
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid step {text!r}; valid steps: {', '.join(Step)}") from None

# Rows per visibility call with --all: the server allows 1,000, but a page that large can outlast the
# call's deadline on a busy SQL-backed server (the dev server, measured with a fleet of 1,000).
ALL_PAGE_SIZE = 200
# One visibility call may take this long before the command gives up.
LIST_TIMEOUT = timedelta(seconds=60)


def configure(parser: argparse.ArgumentParser) -> None:
    add_filters(parser)
    parser.add_argument("--limit", type=int, default=200, help="rows per page (default 200)")
    parser.add_argument("--page-token", help="the next page, as printed at the end of the previous one")
    parser.add_argument("--all", action="store_true", help="every page, printed as each arrives")
    parser.add_argument(
        "--json", action="store_true", help="the page and the next page's token as JSON (with --all: one row per line)"
    )


def add_filters(parser: argparse.ArgumentParser) -> None:
    """The filters `list` and `costs` share."""
    parser.add_argument(
        "--step", type=step_name, metavar="STEP", help=f"only onboardings at this step ({', '.join(Step)}; any case)"
    )
    parser.add_argument("--needs-action", action="store_true", help="only onboardings waiting for a person")
    parser.add_argument("--open", action="store_true", help="only onboardings still running")
    parser.add_argument("--prefix", help="only onboarding ids starting with this (a fleet's common prefix)")


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def query_for(args: argparse.Namespace) -> str:
    """The visibility query. Every onboarding sets OnboardingId when it starts."""
    clauses = [f"{ONBOARDING_ID.name} IS NOT NULL"]
    step = Step.NEEDS_ACTION if args.needs_action else args.step
    if step is not None:
        clauses.append(f"{STEP.name} = '{step.value}'")
    if args.open:
        clauses.append("ExecutionStatus = 'Running'")
    if getattr(args, "prefix", None):
        clauses.append(f"WorkflowId STARTS_WITH {_quoted(WORKFLOW_ID_PREFIX + args.prefix)}")
    return " AND ".join(clauses)


async def fetch_page(
    client: Client,
    query: str,
    *,
    page_size: int,
    page_token: bytes | None = None,
    settings: StarterSettings | None = None,
) -> tuple[list[dict[str, Any]], bytes | None]:
    """One visibility call: up to `page_size` rows in the shared JSON shape (starter/views.py), and
    the next page's token (None: the last page). With `settings`, each row links to the UI."""
    pages = client.list_workflows(query, page_size=page_size, next_page_token=page_token, rpc_timeout=LIST_TIMEOUT)
    await pages.fetch_next_page()
    rows = [onboarding_row(e, settings.workflow_url(e.id) if settings else None) for e in pages.current_page or []]
    return rows, pages.next_page_token


async def every_page(
    client: Client,
    query: str,
    *,
    page_size: int = ALL_PAGE_SIZE,
    page_token: bytes | None = None,
    settings: StarterSettings | None = None,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Each page of rows in turn, from `page_token` to the last."""
    while True:
        rows, page_token = await fetch_page(
            client, query, page_size=page_size, page_token=page_token, settings=settings
        )
        yield rows
        if page_token is None:
            return


_COLOURS = {"DONE": "green", "NEEDS_ACTION": "red", "FAILED": "red", "CANCELLED": "yellow"}
_COLUMNS = ("onboarding", "step", "execution", "started (UTC)", "brand", "campaign")


def _cells(r: dict[str, Any]) -> tuple[str, ...]:
    return (
        r["onboarding_id"] or r["workflow_id"],
        r["step"] or "",
        (r["execution"] or "unknown").lower(),
        (r["started_at"] or "")[:19].replace("T", " "),
        r["objects"]["brand"]["id"] or "",
        r["objects"]["campaign"]["id"] or "",
    )


def print_rows(console: Any, rows: list[dict[str, Any]], *, header: bool) -> None:
    """Aligned columns, each as wide as its longest value: no id is ever cut or folded."""
    cells = [_cells(r) for r in rows]
    widths = [max([len(c[i]) for c in cells] + [len(_COLUMNS[i])]) for i in range(len(_COLUMNS))]
    if header:
        console.print(Text("  ".join(h.ljust(w) for h, w in zip(_COLUMNS, widths, strict=True)).rstrip(), style="bold"))
    for c in cells:
        line = Text()
        for i, (value, width) in enumerate(zip(c, widths, strict=True)):
            line.append(value.ljust(width) + ("  " if i < len(c) - 1 else ""), style=_COLOURS.get(value, "cyan") if i == 1 else "")
        line.rstrip()
        console.print(line)


async def _run(args: argparse.Namespace, out: TextIO) -> int:
    query, token = query_for(args), decode_page_token(args.page_token)
    settings = StarterSettings()
    client = await connect(settings)
    if args.json and not args.all:
        rows, next_token = await fetch_page(client, query, page_size=args.limit, page_token=token, settings=settings)
        print(json.dumps(list_view(rows, next_token), indent=2), file=out)
        return 0
    console = make_console()
    if args.all:
        total = 0
        async for rows in every_page(client, query, page_token=token, settings=settings):
            if args.json:  # JSON lines, one row each: a stream to read as it comes
                for row in rows:
                    print(json.dumps(row), file=out)
                out.flush()
            else:
                print_rows(console, rows, header=total == 0)
            total += len(rows)
        if not args.json:
            console.print(f"{total} onboarding(s)")
        return 0
    rows, next_token = await fetch_page(client, query, page_size=args.limit, page_token=token, settings=settings)
    if not rows:
        console.print("no onboardings match")
        return 0
    print_rows(console, rows, header=True)
    console.print(f"{len(rows)} onboarding(s)")
    if next_token:
        console.print(f"more: tendlc list ... --page-token {encode_page_token(next_token)}  (or --all)")
    return 0


UNAVAILABLE = 5  # exit status when Temporal cannot answer (README, exit codes)


def run_query(main: Coroutine[Any, Any, T]) -> T | None:
    """`asyncio.run(main)` for a command that reads visibility; None, after one line on stderr
    saying why, when Temporal is out of reach or refused the query."""
    try:
        return asyncio.run(main)
    except RPCError as exc:
        print(f"Temporal did not answer the visibility query: {exc}", file=sys.stderr)
    except RuntimeError as exc:
        print(f"cannot reach Temporal: {exc}", file=sys.stderr)
    return None


def run(args: argparse.Namespace) -> int:
    try:
        code = run_query(_run(args, sys.stdout))
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return UNAVAILABLE if code is None else code
