"""Bird's error body (`ValidationError` / `Error` / `errorResponse` in the OpenAPI files)."""

from __future__ import annotations

from typing import Any

from bird.models._base import BirdResponse


class ErrorBody(BirdResponse):
    code: str = ""
    message: str = ""
    details: dict[str, Any] | None = None
