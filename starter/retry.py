"""`tendlc retry ID [--file corrections.json] [--confirm-new-fee]`: try the step that stopped an
onboarding in NEEDS_ACTION again, optionally corrected, through the workflow's `retry` Update.

A corrections file holds any of (each part fits one step; unset fields stay as they were):

    {"number": {"prefix": "+1628"},
     "vetting": {"class": "STANDARD", "vettingProviderId": "…"},
     "connector": {"name": "Acme SMS", "channelMessageType": "transactional"}}

It is checked here before anything is sent (every field error listed, exit 2); the outcome is
printed like the other operator commands (starter/operator.py), with the same exit codes.
A new vetting in place of a rejected or expired one is billed again: `--confirm-new-fee`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any, TextIO

from pydantic import BaseModel, ConfigDict, Field

from bird.models import VettingCreate
from bird.models._base import all_optional
from bird.models.connectors import ChannelMessageType
from starter.operator import EXIT_REFUSED, load_checked, send

# the Update's name and argument, as the workflow's `retry` handler defines them
RETRY_UPDATE = "retry"

VettingCorrection = all_optional(VettingCreate, "VettingCorrection", "Vetting fields to change.", __name__)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)


class NumberCorrection(_Strict):
    # another prefix to choose the number from (Bird: bare area-code digits or an E.164 prefix); null: any
    prefix: Annotated[str, Field(min_length=1, max_length=250)] | None = None


class ConnectorCorrection(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    channel_message_type: ChannelMessageType | None = Field(default=None, alias="channelMessageType")


class CorrectionsFile(_Strict):
    """What a corrections file may hold; anything else is a typo, refused before sending."""

    number: NumberCorrection | None = None
    vetting: VettingCorrection | None = None  # type: ignore[valid-type]
    connector: ConnectorCorrection | None = None
    confirm_new_fee: bool = False  # the consent may be in the file too


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", help="onboarding id (acme-sms) or workflow id (onboarding-acme-sms)")
    parser.add_argument("--file", type=Path, help="corrections (JSON): number.prefix, vetting fields, connector name / channelMessageType")
    parser.add_argument(
        "--confirm-new-fee",
        action="store_true",
        help="for a vetting Bird rejected or that expired: create a new one, billed again",
    )


def load_corrections(path: Path, err: TextIO | None = None) -> dict[str, Any] | None:
    """The corrections as sent (the file's own keys), or None after printing every problem."""
    shape = 'a JSON object: {"number": …, "vetting": …, "connector": …}'
    return load_checked(path, CorrectionsFile, "(corrections)", shape, err)


def retry_argument(corrections: dict[str, Any], confirm_new_fee: bool) -> dict[str, Any]:
    """The Update's argument: `{"corrections": {...}, "confirm_new_fee": bool}`."""
    corrections = dict(corrections)
    consent = bool(corrections.pop("confirm_new_fee", False))
    return {"corrections": corrections, "confirm_new_fee": confirm_new_fee or consent}


def run(args: argparse.Namespace) -> int:
    corrections: dict[str, Any] = {}
    if args.file is not None:
        loaded = load_corrections(args.file)
        if loaded is None:
            return EXIT_REFUSED
        corrections = loaded
    argument = retry_argument(corrections, args.confirm_new_fee)
    return asyncio.run(send(args.id, RETRY_UPDATE, argument, out=sys.stdout))
