"""`tendlc check FILE [FILE ...] [--json]`: validate request files and run the pre-flight rules,
without calling Bird or Temporal.

Exit status: 0 when no file has an error (warnings allowed), 1 when a rule error was found,
2 when a file is not a valid request at all (its schema errors are listed, every one).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pydantic import BaseModel, Field
from rich.console import Console
from rich.text import Text

from intake.preflight import Finding, UnknownRules, accepted_rules, check_request, refusing
from intake.request import RequestError, UnreadableFile, load_request

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
    try:
        request = load_request(path)
    except UnreadableFile as exc:
        return FileReport(file=path, valid=False, unreadable=True, schema_errors=exc.errors)
    except RequestError as exc:
        return FileReport(file=path, valid=False, schema_errors=exc.errors)
    try:
        accepted = accepted_rules([*request.accept, *(accept or [])])
    except UnknownRules as exc:
        return FileReport(file=path, valid=False, schema_errors=[f"accept: {exc}"])
    return FileReport(file=path, valid=True, findings=check_request(request, accepted))


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
    parser.add_argument("files", nargs="+", metavar="FILE", help="onboarding request files (JSON)")
    parser.add_argument("--json", action="store_true", help="print a machine-readable list, one entry per file")
    parser.add_argument("--accept", action="append", default=[], metavar="RULE",
                        help="override this rule, as `tendlc start --accept` would (repeatable)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    reports = [check_file(path, args.accept) for path in args.files]
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in reports], indent=2))
    else:
        # colour on a terminal only, so piped output and logs stay plain text
        console = Console(highlight=False, soft_wrap=True, force_terminal=sys.stdout.isatty())
        for report in reports:
            print_report(console, report)
    return exit_code(reports)
