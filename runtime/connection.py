"""Connecting to Temporal the same way everywhere (worker, CLI, relay, tests, benchmarks): the
settings' address, namespace, TLS or API key, and the pydantic converter."""

from __future__ import annotations

import dataclasses
from typing import Any

from temporalio.api.failure.v1 import Failure
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.runtime import Runtime

from runtime.settings import TemporalSettings


class BenignWithoutStackTrace(DefaultFailureConverter):
    """A BENIGN failure (a poll that found Bird still undecided) is expected, not a fault: it goes
    to Temporal without a Python stack trace, so the UI's pending-activity "last failure" shows
    the one line that says what Bird answered rather than a traceback."""

    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure) -> Any:
        super().to_failure(exception, payload_converter, failure)
        if isinstance(exception, ApplicationError) and exception.category == ApplicationErrorCategory.BENIGN:
            failure.stack_trace = ""


# The pydantic converter, with benign failures sent without their stack trace.
DATA_CONVERTER: DataConverter = dataclasses.replace(
    pydantic_data_converter, failure_converter_class=BenignWithoutStackTrace
)


async def connect(settings: TemporalSettings | None = None, *, runtime: Runtime | None = None) -> Client:
    settings = settings or TemporalSettings()
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None,
        tls=settings.tls(),
        data_converter=DATA_CONVERTER,
        runtime=runtime,
    )
