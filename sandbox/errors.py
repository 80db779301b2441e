"""Bird's error answers: `{"code", "message", "details"}` (`Error` / `ValidationError` in the
OpenAPI fragments; both need `code` and `message` of at least 5 characters).

Field errors go in `details.errors` as `[{"field", "message"}]`, camelCase wire names, which
`bird.errors.field_errors_from` reads back as `{field: [messages]}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.responses import JSONResponse

from sandbox.validation import FieldError


class ApiError(Exception):
    """An answer other than 2xx, raised anywhere in a handler."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def invalid(errors: Iterable[FieldError], what: str = "request") -> ApiError:
    """422 naming every offending field, in the message and in `details.errors`."""
    errors = list(errors)
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return ApiError(
        422,
        "InvalidPayload",
        f"Invalid {what}: {summary}",
        details={"errors": [e.as_dict() for e in errors]},
    )


def rule(field: str, message: str) -> ApiError:
    """422 for a business rule (a state, a reference) rather than the schema."""
    return invalid([FieldError(field, message)])


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, "NotFound", f"{what} {ident} not found")


def unauthorized() -> ApiError:
    # Says nothing about which part was wrong.
    return ApiError(401, "Unauthorized", "Missing or invalid access key")


def conflict(message: str) -> ApiError:
    return ApiError(409, "Conflict", message)
