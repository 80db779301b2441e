"""Request bodies before their schema: the media type, the size, JSON that parses, and nesting depth.

Bird's OpenAPI takes `application/json` bodies only. What cannot even be read as JSON is a 400
(`InvalidJSON`, or `JSONTooDeep` past `MAX_JSON_DEPTH`); a declared non-JSON media type is a 415;
a body over `MAX_BODY_BYTES` a 413. Everything that parses goes on to the schema (422 naming the
field). Each of these answers names the part at fault in `details.errors`, like a 422.

Why a depth cap: Bird's deepest request (a webhook subscription's `eventFilters`) nests 3 levels
and a brand 2; the sandbox's validator walks a body recursively, and JSON a few thousand levels
deep would exhaust Python's recursion limit (a 500). 32 levels leaves ten times Bird's own depth.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from sandbox.errors import ApiError
from sandbox.validation import FieldError

MAX_JSON_DEPTH = 32
MAX_BODY_BYTES = 1024 * 1024  # Bird's largest request (a campaign with 5 samples) is a few KiB


def _refused(status: int, code: str, field: str, message: str) -> ApiError:
    return ApiError(status, code, f"{field}: {message}", details={"errors": [FieldError(field, message).as_dict()]})


def check_media_type(content_type: str | None) -> None:
    """A body declared as something other than JSON is refused; an undeclared one is read as JSON
    (as Bird's own examples with bare `curl -d` send it)."""
    if not content_type:
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise _refused(415, "UnsupportedMediaType", "Content-Type", f"must be application/json (got {media!r})")


def depth_exceeded(value: Any, limit: int = MAX_JSON_DEPTH) -> str | None:
    """The dotted path of the first container nested deeper than `limit`, else None.

    Iterative on purpose: the point is to refuse what recursion cannot walk.
    """
    stack: list[tuple[Any, int, tuple[str, ...]]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        if depth > limit:
            return ".".join(path) or "(body)"
        children = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((child, depth + 1, (*path, str(key))) for key, child in children)
    return None


def parse_json(raw: bytes, content_type: str | None) -> Any:
    """The body as JSON (None when empty), or the 4xx that refuses it."""
    check_media_type(content_type)
    if len(raw) > MAX_BODY_BYTES:
        raise _refused(413, "PayloadTooLarge", "(body)", f"must be at most {MAX_BODY_BYTES} bytes (got {len(raw)})")
    if not raw:
        return None
    try:
        body = json.loads(raw)
    except RecursionError:
        raise _refused(400, "JSONTooDeep", "(body)", f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError for bytes that are not UTF-8
        raise _refused(400, "InvalidJSON", "(body)", f"is not valid JSON ({exc})") from None
    where = depth_exceeded(body)
    if where is not None:
        raise _refused(400, "JSONTooDeep", where.split(".", 1)[0], f"nests deeper than {MAX_JSON_DEPTH} levels")
    return body


class JsonRoute(APIRoute):
    """A route whose body FastAPI parses into a model (the control plane): the same checks run
    first, so a body the parser would choke on (JSON thousands of levels deep) is a 4xx too."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            if request.method in ("POST", "PUT", "PATCH"):
                try:
                    parse_json(await request.body(), request.headers.get("content-type"))
                except ApiError as exc:
                    return exc.response()
            return await handler(request)  # the body read above is cached on the request

        return run
