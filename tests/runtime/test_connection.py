"""The converter every process connects with, and the notification settings the worker builds."""

from __future__ import annotations

from temporalio.api.failure.v1 import Failure
from temporalio.exceptions import ApplicationError

from activities.errors import not_yet
from runtime.connection import DATA_CONVERTER
from runtime.settings import WorkerSettings
from worker.main import notify_settings


def _encoded(exc: BaseException) -> Failure:
    failure = Failure()
    try:
        raise exc
    except BaseException as raised:  # noqa: BLE001 - a traceback is the point
        DATA_CONVERTER.failure_converter.to_failure(raised, DATA_CONVERTER.payload_converter, failure)
    return failure


def test_a_benign_not_yet_goes_without_its_stack_trace():
    failure = _encoded(not_yet("brand 1 is PENDING", {"id": "1", "status": "PENDING"}))
    assert failure.message == "brand 1 is PENDING: not yet" and failure.stack_trace == ""


def test_any_other_failure_keeps_its_stack_trace():
    assert "test_connection.py" in _encoded(ApplicationError("Bird refused", type="BirdRejected")).stack_trace


def test_the_worker_reads_the_notification_settings_and_keeps_the_secret_to_itself():
    settings = WorkerSettings(
        _env_file=None,
        tendlc_notify_url="https://hooks.example/x",
        tendlc_notify_secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        temporal_ui_url="https://ui.example",
        temporal_namespace="prod",
    )
    notify = notify_settings(settings)
    assert (notify.url, notify.ui_url, notify.namespace) == ("https://hooks.example/x", "https://ui.example", "prod")
    assert notify.secret == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    assert "whsec" not in repr(settings)
