"""Small helpers shared by the sandbox modules: camelCase models, timestamps, ids."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """A control-plane or state model: camelCase in JSON like Bird's API, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )


# Seconds added to the wall clock in the timestamps objects carry (createdAt, updatedAt). Tests on
# Temporal's time-skipping server set it so that Bird's clock follows the workflows' clock, which
# runs ahead of the wall clock whenever the server skips time; nothing else changes it.
_clock_offset = 0.0


def set_clock_offset(seconds: float) -> None:
    global _clock_offset
    _clock_offset = seconds


def iso(ts: float | None = None) -> str:
    """Bird's timestamp form: UTC with milliseconds, `2025-03-27T08:39:48.091Z`."""
    moment = datetime.fromtimestamp(time.time() + _clock_offset if ts is None else ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_id() -> str:
    return str(uuid.uuid4())
