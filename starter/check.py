"""`tendlc check FILE [FILE ...] [--json]`: validate request files and run the pre-flight rules,
without calling Temporal. Bird is asked only when BIRD_ACCESS_KEY is set, and only to read the
number stock for each requested prefix (a warning when it cannot be read, is empty or is short).

Exit status: 0 when no file has an error (warnings allowed), 1 when a rule error was found,
2 when a file is not a valid request at all (its schema errors are listed, every one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from pydantic import BaseModel, Field
from rich.console import Console
from rich.text import Text

from intake.preflight import Finding, UnknownRules, accepted_rules, check_request, refusing
from intake.request import (
    OnboardingRequest,
    RequestError,
    UnreadableFile,
    load_request,
    parse_request,
    read_request_lines,
)
from runtime.settings import StarterSettings

EXIT_OK, EXIT_ERRORS, EXIT_INVALID = 0, 1, 2

_STYLE = {"error": "bold red", "warning": "yellow", "invalid": "bold red"}


class FileReport(BaseModel):
    """What `check` found in one file; `--json` prints a list of these."""

    file: str
    valid: bool
    # the file is not JSON at all (binary, too large, a directory, ...): its one problem, on one line
    unreadable: bool = Field(default=False, exclude=True)
    schema_errors: list[str] = []
    findings: list[Finding] = []

    @property
    def errors(self) -> int:
        return len(refusing(self.findings))

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)

    @property
    def accepted(self) -> int:
        return sum(f.severity == "error" and f.accepted for f in self.findings)



def check_file(path: str, accept: list[str] | None = None) -> FileReport:
    return check_requests(path, accept)[0][0]


def _checked(source: str, request: OnboardingRequest, accept: list[str]) -> FileReport:
    try:
        accepted = accepted_rules([*request.accept, *accept])
    except UnknownRules as exc:
        return FileReport(file=source, valid=False, schema_errors=[f"accept: {exc}"])
    return FileReport(file=source, valid=True, findings=check_request(request, accepted))


def _refused(exc: RequestError) -> FileReport:
    return FileReport(file=exc.source, valid=False, unreadable=isinstance(exc, UnreadableFile), schema_errors=exc.errors)


def check_requests(path: str, accept: list[str] | None = None) -> list[tuple[FileReport, OnboardingRequest | None]]:
    """One report per request: the file's (`.json`), or one per line (`.jsonl`, `file` = FILE:LINE)."""
    accept = accept or []
    if not path.endswith(".jsonl"):
        try:
            request = load_request(path)
        except RequestError as exc:
            return [(_refused(exc), None)]
        return [(_checked(path, request, accept), request)]
    try:
        rows = read_request_lines(path)
    except RequestError as exc:
        return [(_refused(exc), None)]
    checked: list[tuple[FileReport, OnboardingRequest | None]] = []
    for source, data in rows:
        try:
            if isinstance(data, RequestError):
                raise data
            request = parse_request(data, source)
        except RequestError as exc:
            checked.append((_refused(exc), None))
            continue
        report = _checked(source, request, accept)
        checked.append((report, request if report.valid else None))
    return checked


def exit_code(reports: Sequence[FileReport]) -> int:
    if any(not r.valid for r in reports):
        return EXIT_INVALID
    if any(r.errors for r in reports):
        return EXIT_ERRORS
    return EXIT_OK


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def print_findings(console: Console, findings: Sequence[Finding], indent: str = "  ") -> None:
    """One aligned line per finding: severity, rule id, field, reason. `tendlc start` prints the same."""
    rule_width = max((len(f.rule_id) for f in findings), default=0)
    field_width = max((len(f.field) for f in findings), default=0)
    for f in findings:
        console.print(
            Text.assemble(
                indent,
                (f"{'accepted' if f.accepted else f.severity:<8}", _STYLE[f.severity] if not f.accepted else "yellow"),
                " ",
                (f"{f.rule_id:<{rule_width}}", "bold"),
                "  ",
                (f"{f.field:<{field_width}}", "cyan"),
                "  ",
                f.message,
            )
        )


def print_report(console: Console, report: FileReport) -> None:
    if report.unreadable:
        console.print(Text.assemble((report.file, "bold"), ": ", (report.schema_errors[0], _STYLE["invalid"])))
        return
    if not report.valid:
        console.print(Text.assemble((report.file, "bold"), ": ", ("invalid request", _STYLE["invalid"])))
        for error in report.schema_errors:
            console.print(Text.assemble("  ", ("invalid ", _STYLE["invalid"]), error))
        return
    if not report.findings:
        console.print(Text.assemble((report.file, "bold"), ": ", ("ok", "green")))
        return
    summary = f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}"
    if report.accepted:
        summary += f", {report.accepted} accepted"
    console.print(Text.assemble((report.file, "bold"), ": ", summary))
    print_findings(console, report.findings)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="onboarding requests: FILE.json, or FILE.jsonl with one per line"
    )
    parser.add_argument("--json", action="store_true", help="print a machine-readable list, one entry per file")
    parser.add_argument("--accept", action="append", default=[], metavar="RULE",
                        help="override this rule, as `tendlc start --accept` would (repeatable)")  # fmt: skip


def add_stock_findings(
    checked: Sequence[tuple[FileReport, OnboardingRequest | None]], settings: StarterSettings
) -> None:
    """With BIRD_ACCESS_KEY set: a warning on each request whose number prefix has no stock."""
    if settings.bird_access_key is None or not settings.bird_access_key.get_secret_value():
        return
    from intake.inputs import onboarding_input
    from starter.workspace_checks import stock_warnings

    requests = []
    for report, request in checked:
        if request is None:
            continue
        organization_id = request.organization_id or settings.bird_organization_id
        if organization_id:
            requests.append((report.file, onboarding_input(request, workspace_id="", organization_id=organization_id)))

    async def ask() -> list:
        async with settings.bird_client() as bird:
            return await stock_warnings(bird, requests)

    by_file = {r.file: r for r, _ in checked}
    for w in asyncio.run(ask()) if requests else []:
        by_file[w.source].findings.append(Finding(rule_id=w.rule_id, severity="warning", field=w.field, message=w.message))


def run(args: argparse.Namespace) -> int:
    checked = [pair for path in args.files for pair in check_requests(path, args.accept)]
    add_stock_findings(checked, StarterSettings())
    reports = [report for report, _ in checked]
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in reports], indent=2))
    else:
        # colour on a terminal only, so piped output and logs stay plain text
        console = Console(highlight=False, soft_wrap=True, force_terminal=sys.stdout.isatty())
        for report in reports:
            print_report(console, report)
    return exit_code(reports)
