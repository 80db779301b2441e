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


def iso(ts: float | None = None) -> str:
    """Bird's timestamp form: UTC with milliseconds, `2025-03-27T08:39:48.091Z`."""
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_id() -> str:
    return str(uuid.uuid4())
