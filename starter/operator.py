"""`tendlc resubmit-campaign`, `resubmit-brand`, `cancel` and `extend-deadline`: a person's actions
on a running onboarding, sent as the workflow's Updates (workflows/actions.py).

Each prints the outcome of the Update. Exit codes: 0 accepted (what was done, and the step now);
2 refused, by the onboarding (it does not fit where the onboarding stands: nothing changed) or
here (a changes file that is not valid: every field error listed, nothing sent); 1 accepted but
refused by Bird (the onboarding stays where it was); 3 no such onboarding; 5 Temporal not
reachable.

A changes file is a JSON object of Bird's own fields, camelCase, as in a request file:
`{"description": "…", "samples": ["…"]}`; `null` removes an optional field.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from bird.errors import field_errors_of
from bird.models import BrandPatch, CampaignPatch
from intake.files import FileProblem, read_json
from runtime.connection import connect
from runtime.settings import StarterSettings
from starter.status import handle_for
from workflows.failures import REFUSED, failure_of
from workflows.messages import ActionResult, CancelOnboarding, ExtendDeadline, ResubmitBrand, ResubmitCampaign
from workflows.onboarding import OnboardingWorkflow

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_NOT_FOUND, EXIT_UNAVAILABLE = 0, 1, 2, 3, 5


def _id_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", help="onboarding id (acme-sms) or workflow id (onboarding-acme-sms)")


def configure_resubmit_campaign(parser: argparse.ArgumentParser) -> None:
    _id_argument(parser)
    parser.add_argument("--file", required=True, type=Path, help="JSON object of the campaign fields to change (Bird's camelCase)")
    parser.add_argument(
        "--confirm-new-fee",
        action="store_true",
        help="for a campaign Bird cannot resubmit (anything but DECLINED): create a new one, billed again "
        "(registration fee and a three-month minimum commitment)",
    )


def run_resubmit_campaign(args: argparse.Namespace) -> int:
    changes = load_changes(args.file, CampaignPatch)
    if changes is None:
        return EXIT_REFUSED
    arg = ResubmitCampaign(changes=changes, confirm_new_fee=args.confirm_new_fee)
    return asyncio.run(send(args.id, OnboardingWorkflow.resubmit_campaign, arg, out=sys.stdout))


def configure_resubmit_brand(parser: argparse.ArgumentParser) -> None:
    _id_argument(parser)
    parser.add_argument("--file", required=True, type=Path, help="JSON object of the brand fields to change (Bird's camelCase)")


def run_resubmit_brand(args: argparse.Namespace) -> int:
    changes = load_changes(args.file, BrandPatch)
    if changes is None:
        return EXIT_REFUSED
    return asyncio.run(send(args.id, OnboardingWorkflow.resubmit_brand, ResubmitBrand(changes=changes), out=sys.stdout))


def configure_cancel(parser: argparse.ArgumentParser) -> None:
    _id_argument(parser)
    parser.add_argument("--reason", required=True, help="why; kept in the onboarding's history")


def run_cancel(args: argparse.Namespace) -> int:
    return asyncio.run(send(args.id, OnboardingWorkflow.cancel, CancelOnboarding(reason=args.reason), out=sys.stdout))


def configure_extend_deadline(parser: argparse.ArgumentParser) -> None:
    _id_argument(parser)
    parser.add_argument("--days", required=True, type=float, help="wait this many more days, from now")


def run_extend_deadline(args: argparse.Namespace) -> int:
    return asyncio.run(send(args.id, OnboardingWorkflow.extend_deadline, ExtendDeadline(days=args.days), out=sys.stdout))


def load_changes(path: Path, model: type[BaseModel], err: TextIO | None = None) -> dict[str, Any] | None:
    """The changes file as a dict, or None after printing every problem (nothing is sent then).

    Checked here with the same model the workflow uses, so that a typo costs no round trip; the
    workflow checks again against the body the onboarding was started with."""
    return load_checked(path, model, "(changes)", "a JSON object of the fields to change", err)


def load_checked(
    path: Path, model: type[BaseModel], whole: str, shape: str, err: TextIO | None = None
) -> dict[str, Any] | None:
    """A JSON object file checked with `model`: the object as written, or None after printing every
    problem (each field named; `whole` names the object itself, `shape` says what it must be)."""
    err = err or sys.stderr
    try:
        data = read_json(path)
    except FileProblem as exc:
        print(exc, file=err)
        return None
    if not isinstance(data, dict):
        print(f"{path}: must be {shape}", file=err)
        return None
    try:
        model.model_validate(data)
    except ValidationError as exc:
        print(f"{path}: not sent", file=err)
        for field, messages in field_errors_of(exc, whole).items():
            for message in messages:
                print(f"  {field}: {message}", file=err)
        return None
    return data


async def send(ident: str, update: Any, arg: BaseModel | dict[str, Any], *, out: TextIO) -> int:
    """Send one Update and print its outcome; returns the exit code."""
    settings = StarterSettings()
    try:
        client = await connect(settings)
    except RuntimeError as exc:
        print(f"cannot reach Temporal at {settings.temporal_address}: {exc}", file=out)
        return EXIT_UNAVAILABLE
    handle = handle_for(client, ident)
    try:
        result: ActionResult = await handle.execute_update(update, arg, result_type=ActionResult)
    except WorkflowUpdateFailedError as exc:
        return _failed(exc, out)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            print(f"cannot reach {handle.id}: {exc.message} (is Temporal up, and a worker running?)", file=out)
            return EXIT_UNAVAILABLE
        try:
            description = await handle.describe()
        except RPCError:
            print(f"no onboarding {ident!r}", file=out)
            return EXIT_NOT_FOUND
        state = description.status.name if description.status else "closed"
        print(f"refused: {handle.id} has ended ({state}); there is nothing left to change", file=out)
        return EXIT_REFUSED
    show(result, out)
    return EXIT_OK


def _failed(exc: WorkflowUpdateFailedError, out: TextIO) -> int:
    cause = exc.cause
    if not isinstance(cause, ApplicationError):
        print(f"failed: {cause or exc}", file=out)
        return EXIT_FAILED
    failure = failure_of(exc)
    head = (failure.details or {}).get("summary") or failure.message
    if failure.type == REFUSED:
        print(f"refused: {head}", file=out)
        code = EXIT_REFUSED
    else:
        print(f"failed: {head}; the onboarding stays where it was", file=out)
        code = EXIT_FAILED
    for field, messages in failure.field_errors.items():
        print(f"  {field}: {'; '.join(messages)}", file=out)
    return code


def show(result: ActionResult, out: TextIO) -> None:
    print(f"accepted: {result.done}", file=out)
    print(f"step: {result.step.value}", file=out)
    if result.replaced_id:
        print(f"replaces: {result.replaced_id} (still billed)", file=out)
    if result.deadline_at is not None:
        print(f"deadline: {result.deadline_at:%Y-%m-%d %H:%M} UTC", file=out)
    if result.still_billed:
        print("still billed (release in Bird what is no longer needed):", file=out)
        for billed in result.still_billed:
            amount = f" {billed.amount:.2f} {billed.currency or ''}".rstrip() if billed.amount is not None else ""
            print(f"  {billed.kind.value:<10} {billed.object_id}  {billed.fee}{amount}: {billed.release}", file=out)
    for note in result.notes:
        print(f"note: {note}", file=out)
