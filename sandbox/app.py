"""`create_app(config)`: Bird's 10DLC API as the client calls it, plus the `/_sandbox` control plane."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sandbox import control
from sandbox.config import SandboxConfig
from sandbox.core import Sandbox
from sandbox.errors import ApiError, invalid
from sandbox.routes import brands, campaigns, connectors, numbers, webhook_subscriptions
from sandbox.validation import FieldError


def _field_path(loc: tuple[object, ...]) -> tuple[object, ...]:
    # FastAPI puts where the field came from first (`body`, `path`, `query`): the name is the rest.
    return loc[1:] if loc and loc[0] in ("body", "path", "query", "header") else loc


def create_app(
    config: SandboxConfig | None = None, *, delivery_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The sandbox as an ASGI app. `delivery_transport` carries webhook deliveries (e.g. an
    `httpx.ASGITransport` around an in-process receiver) instead of the network."""
    sandbox = Sandbox(config or SandboxConfig(), delivery_transport=delivery_transport)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await sandbox.start()
        try:
            yield
        finally:
            await sandbox.stop()

    app = FastAPI(title="Bird 10DLC sandbox", lifespan=lifespan)
    app.state.sandbox = sandbox
    for module in (numbers, brands, campaigns, connectors, webhook_subscriptions):
        app.include_router(module.router)
    app.include_router(connectors.readiness_router(sandbox.config.readiness_path))
    app.include_router(control.router)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def control_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Control-plane bodies are pydantic models: answer in the same shape as Bird's 422s.
        errors = [
            FieldError(
                ".".join(str(p) for p in _field_path(err["loc"])) or "(body)",
                err["msg"].removeprefix("Value error, "),
            )
            for err in exc.errors()
        ]
        return invalid(errors).response()

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        # Unknown paths and wrong methods answer with Bird's `Error` body too.
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HttpError")
        message = f"{request.method} {request.url.path}: {exc.detail}"
        return ApiError(exc.status_code, code, message).response()

    return app
