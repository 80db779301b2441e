"""Names the outside world relies on (workflow ids, task queue, steps, search attributes, the
`bird_event` payload): relay, CLI and tests import them; nobody retypes the strings."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict

DEFAULT_TASK_QUEUE = "bird-10dlc"
# The Bird activities' own task queue, `<TENDLC_TASK_QUEUE>-bird`: Temporal's task-queue rate limit
# on it paces every worker's Bird calls together (see worker/main.py).
BIRD_TASK_QUEUE_SUFFIX = "-bird"
WORKFLOW_ID_PREFIX = "onboarding-"


def workflow_id_for(onboarding_id: str) -> str:
    """`workflow_id_for("acme-sms") -> "onboarding-acme-sms"`."""
    return f"{WORKFLOW_ID_PREFIX}{onboarding_id}"


def bird_task_queue_for(task_queue: str) -> str:
    """`bird_task_queue_for("bird-10dlc") -> "bird-10dlc-bird"`."""
    return f"{task_queue}{BIRD_TASK_QUEUE_SUFFIX}"


class Step(StrEnum):
    BUY_NUMBER = "BUY_NUMBER"
    REGISTER_BRAND = "REGISTER_BRAND"
    AWAIT_BRAND = "AWAIT_BRAND"
    VETTING = "VETTING"
    CREATE_CAMPAIGN = "CREATE_CAMPAIGN"
    AWAIT_CAMPAIGN = "AWAIT_CAMPAIGN"
    INSTALL_CONNECTOR = "INSTALL_CONNECTOR"
    AWAIT_READY = "AWAIT_READY"
    DONE = "DONE"
    NEEDS_ACTION = "NEEDS_ACTION"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


# The order of the happy path, for timelines and progress displays.
FLOW: tuple[Step, ...] = (
    Step.BUY_NUMBER,
    Step.REGISTER_BRAND,
    Step.AWAIT_BRAND,
    Step.VETTING,
    Step.CREATE_CAMPAIGN,
    Step.AWAIT_CAMPAIGN,
    Step.INSTALL_CONNECTOR,
    Step.AWAIT_READY,
    Step.DONE,
)
TERMINAL_STEPS = frozenset({Step.DONE, Step.FAILED, Step.CANCELLED})

STEP = SearchAttributeKey.for_keyword("OnboardingStep")
ONBOARDING_ID = SearchAttributeKey.for_keyword("OnboardingId")
BRAND_ID = SearchAttributeKey.for_keyword("BirdBrandId")
CAMPAIGN_ID = SearchAttributeKey.for_keyword("BirdCampaignId")
VETTING_ID = SearchAttributeKey.for_keyword("BirdVettingId")
CHANNEL_ID = SearchAttributeKey.for_keyword("BirdChannelId")
CONNECTOR_ID = SearchAttributeKey.for_keyword("BirdConnectorId")
SEARCH_ATTRIBUTES = (STEP, ONBOARDING_ID, BRAND_ID, CAMPAIGN_ID, VETTING_ID, CHANNEL_ID, CONNECTOR_ID)


class BirdEvent(BaseModel):
    """The `bird_event` signal: one verified webhook delivery, as Bird sent it.

    `delivery_id` is the relay's dedupe key (a digest of the signed body), so a delivery
    Bird repeats is recognised by the workflow too.
    """

    model_config = ConfigDict(extra="ignore")

    service: str
    event: str
    payload: dict[str, Any]
    delivery_id: str = ""
    received_at: str = ""


# The signal the relay sends each verified event as; `OnboardingWorkflow.bird_event` handles it
# (no `name=` override), so the relay names it without importing the workflow.
BIRD_EVENT_SIGNAL = "bird_event"
