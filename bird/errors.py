"""What went wrong talking to Bird, sorted by what to do next.

    BirdError
    ├── BirdRetryableError        try again later: nothing was refused
    │   ├── BirdNetworkError      connection failed or dropped, or the request timed out
    │   ├── BirdServerError       5xx (the request may or may not have been applied)
    │   └── BirdRateLimited       429 (not processed); `retry_after` seconds when Bird says
    └── BirdFinalError            retrying the same request cannot succeed: a person or a change must
        ├── BirdBadRequest        400
        ├── BirdUnauthorized      401 (access key missing or wrong)
        ├── BirdForbidden         403 (the key's role lacks a permission)
        ├── BirdNotFound          404
        ├── BirdConflict          409
        └── BirdValidationError   422, with Bird's field errors in `field_errors`

Messages never contain headers, keys or whole bodies: they end up in workflow history.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
from pydantic import ValidationError

from bird.models.errors import ErrorBody


class BirdError(Exception):
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        operation: str = "",
        code: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.operation = operation
        self.code = code
        self.details = details or {}

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """Bird's per-field complaints, `{"samples": ["..."]}`, when the body carried any."""
        return field_errors_from(self.details)


class BirdRetryableError(BirdError):
    retryable = True


class BirdNetworkError(BirdRetryableError):
    pass


class BirdServerError(BirdRetryableError):
    pass


class BirdRateLimited(BirdRetryableError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class BirdFinalError(BirdError):
    pass


class BirdBadRequest(BirdFinalError):
    pass


class BirdUnauthorized(BirdFinalError):
    pass


class BirdForbidden(BirdFinalError):
    pass


class BirdNotFound(BirdFinalError):
    pass


class BirdConflict(BirdFinalError):
    pass


class BirdValidationError(BirdFinalError):
    pass


_FINAL_BY_STATUS: dict[int, type[BirdFinalError]] = {
    400: BirdBadRequest,
    401: BirdUnauthorized,
    403: BirdForbidden,
    404: BirdNotFound,
    409: BirdConflict,
    422: BirdValidationError,
}


def field_errors_from(details: dict[str, Any] | None) -> dict[str, list[str]]:
    """Normalise the shapes Bird uses for field errors into `{field: [messages]}`.

    Bird's `ValidationError.details` is free-form; seen shapes are `{"errors": [{"field", "message"}]}`,
    `{"fieldErrors": {"name": ["..."]}}` and `{"name": "..."}`.
    """
    if not details:
        return {}
    out: dict[str, list[str]] = {}
    errors = details.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict) and "field" in item:
                out.setdefault(str(item["field"]), []).append(str(item.get("message", "")))
        return out
    source = details.get("fieldErrors", details)
    if isinstance(source, dict):
        for key, value in source.items():
            out[str(key)] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return out


def field_errors_of(exc: ValidationError, whole: str = "(body)") -> dict[str, list[str]]:
    """A pydantic validation error as `{field: [messages]}`, the shape Bird's own field errors take
    here; `whole` names an error about the value as a whole (an empty location)."""
    out: dict[str, list[str]] = {}
    for err in exc.errors():
        field = ".".join(str(part) for part in err["loc"]) or whole
        out.setdefault(field, []).append(err["msg"])
    return out


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now: either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_for_response(response: httpx.Response, operation: str) -> BirdError:
    """The exception for a non-2xx answer to `operation`."""
    status = response.status_code
    try:
        body = ErrorBody.model_validate(response.json())
    except ValueError:
        body = ErrorBody()
    what = f"{operation}: HTTP {status}"
    message = f"{what} {body.code}: {body.message}".rstrip(": ") if body.code or body.message else what
    kw: dict[str, Any] = dict(status=status, operation=operation, code=body.code, details=body.details)
    if status == 429:
        return BirdRateLimited(message, retry_after=parse_retry_after(response.headers.get("retry-after")), **kw)
    if status >= 500:
        return BirdServerError(message, **kw)
    if status in _FINAL_BY_STATUS:
        return _FINAL_BY_STATUS[status](message, **kw)
    # Other 4xx (405, 410, 413, ...): nothing suggests a retry would be answered differently.
    return BirdFinalError(message, **kw)


def error_for_transport(exc: httpx.TransportError, operation: str) -> BirdNetworkError:
    # The class name is enough: httpx messages can carry the full URL.
    return BirdNetworkError(f"{operation}: {type(exc).__name__}", operation=operation)
