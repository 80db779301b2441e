"""What every Bird route does around its handler: the access key, the injected faults, Bird's
error bodies; and the helpers handlers share (request bodies, pagination).

Routes are named by the `BirdClient` operation they serve (`create_campaign`, ...), which is
also how faults address them.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope, Send

from sandbox import ratelimit
from sandbox.bodies import parse_json
from sandbox.core import Sandbox
from sandbox.errors import ApiError, invalid, unauthorized
from sandbox.validation import FieldError, check_body, parse_query

DEFAULT_PAGE_SIZE = 10  # bird/openapi/list-numbers-stock-items.json queryLimit: "The default value is 10"


class ConnectionDropped(Exception):
    """Raised after a response has started, so the server closes the connection mid-answer.

    Under uvicorn the client sees the socket close (an `httpx.RemoteProtocolError`); in-process,
    `sandbox.testing.transport` turns this exception into the same error.
    """

    def __init__(self) -> None:
        super().__init__("sandbox fault: the connection was dropped on purpose")


class DroppedResponse(Response):
    """Starts an answer (headers promising a body) and then drops the connection."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
            }
        )
        raise ConnectionDropped()


def sandbox_of(request: Request) -> Sandbox:
    return request.app.state.sandbox


def _authorized(request: Request, sandbox: Sandbox) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, key = given.partition(" ")
    expected = sandbox.config.access_key.get_secret_value()
    return scheme == "AccessKey" and hmac.compare_digest(key.strip().encode(), expected.encode())


def _server_error(status: int) -> ApiError:
    return ApiError(status, "InternalError", "The server encountered an error; the request may be retried")


class BirdRoute(APIRoute):
    """An API route that checks the access key, then plays its operation's faults around the handler."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        operation = self.name

        async def run(request: Request) -> Response:
            sandbox = sandbox_of(request)
            sandbox.ensure_running()
            sandbox.requests[operation] += 1  # every request, faulted or refused ones too
            if not _authorized(request, sandbox):
                return unauthorized().response()
            wait = sandbox.limiter.take()
            if wait is not None:
                assert sandbox.limiter.limit is not None  # only a limit makes a request wait
                # Bird's organization-wide quota: refused before anything else, faults included.
                sandbox.rate_limited[operation] += 1
                return ApiError(
                    429, "TooManyRequests",
                    f"Organization rate limit of {sandbox.limiter.limit.per_second:g} requests/second exceeded; "
                    "the request was not processed",
                    headers={"Retry-After": ratelimit.retry_after(wait)},
                ).response()  # fmt: skip
            fault = sandbox.faults.next_for(operation)
            if fault != "ok":
                sandbox.save()  # a fault sequence is state too: a restart does not replay it
            plan = sandbox.faults.plan_for(operation)
            if plan is not None and plan.latency:
                await asyncio.sleep(plan.latency)
            if fault == "429":
                retry_after = plan.retry_after if plan else 1
                return ApiError(
                    429, "TooManyRequests", "Rate limit exceeded; the request was not processed",
                    headers={"Retry-After": str(retry_after)},
                ).response()  # fmt: skip
            if fault == "drop":
                return DroppedResponse()
            if fault[0] == "5":
                return _server_error(int(fault)).response()
            try:
                response = await handler(request)
            except ApiError as exc:
                return exc.response()
            finally:
                if request.method != "GET":
                    sandbox.save()
            if fault.startswith("commit-then-") and response.status_code < 300:
                after = fault.removeprefix("commit-then-")
                return DroppedResponse() if after == "drop" else _server_error(int(after)).response()
            return response

        return run


async def read_body(request: Request, operation: str) -> Any:
    """The JSON body, valid against the operation's schema in Bird's OpenAPI (else 4xx: see
    `sandbox.bodies` for what is refused before the schema, 422 for the schema)."""
    body = parse_json(await request.body(), request.headers.get("content-type"))
    if body is None:
        raise invalid([FieldError("(body)", "a JSON body is required")])
    errors = check_body(operation, body)
    if errors:
        raise invalid(errors)
    return body


def read_query(request: Request, operation: str) -> dict[str, Any]:
    multi = {key: request.query_params.getlist(key) for key in request.query_params}
    values, errors = parse_query(operation, multi)
    if errors:
        raise invalid(errors, "query")
    return values


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, _, number = text.partition(":")
        if kind != "offset" or not number.isdigit():
            raise ValueError
        return int(number)
    except ValueError:
        raise invalid([FieldError("pageToken", "is not a token this list handed out")], "query") from None


def _after(token: str) -> str:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except ValueError:
        text = ""
    kind, _, key = text.partition(":")
    if kind != "after" or not key:
        raise invalid([FieldError("pageToken", "is not a token this list handed out")], "query")
    return key


def page_after(items: list[Any], query: dict[str, Any], key: str) -> dict[str, Any]:
    """One page of `items` (sorted by `key`, unique) whose token names the last key returned, so
    items removed between two pages shift nothing."""
    limit = query.get("limit", DEFAULT_PAGE_SIZE)
    if query.get("pageToken"):
        last = _after(query["pageToken"])
        items = [item for item in items if item[key] > last]
    body: dict[str, Any] = {"results": items[:limit]}
    if len(items) > limit:
        body["nextPageToken"] = base64.urlsafe_b64encode(f"after:{items[limit - 1][key]}".encode()).decode().rstrip("=")
    return body


def page(items: list[Any], query: dict[str, Any]) -> dict[str, Any]:
    """One page of `items` as Bird lists them: `results`, and `nextPageToken` while more remain."""
    limit = query.get("limit", DEFAULT_PAGE_SIZE)
    start = _offset(query["pageToken"]) if query.get("pageToken") else 0
    body: dict[str, Any] = {"results": items[start : start + limit]}
    if start + limit < len(items):
        body["nextPageToken"] = _token(start + limit)
    return body
