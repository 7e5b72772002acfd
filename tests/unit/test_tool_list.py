"""The default tool list: every tool declares its envelope, job tools take tasks and a key,
and the whole list, ``execution`` included (the 2025 wire shows it; 2026 does not, see
tests/e2e/test_tool_list_size.py), stays within the context budget."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from mcp_front.config import Settings
from mcp_front.runtime import StartingRuntime
from mcp_front.server import build_server, selected_tool_specs
from mcp_front.toolkit import ENVELOPE_SCHEMA

pytestmark = pytest.mark.anyio
BUDGET_CHARS = 40_000


async def _tools(settings: Settings) -> list[dict[str, Any]]:
    tools = await build_server(StartingRuntime(settings)).list_tools()
    return [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]


async def test_every_tool_declares_the_envelope_and_job_tools_offer_tasks(
    make_settings: Callable[..., Settings],
) -> None:
    tools = await _tools(make_settings())
    assert len(tools) >= 30
    assert all(tool["outputSchema"] == ENVELOPE_SCHEMA for tool in tools)
    jobs = {spec.name for spec in selected_tool_specs(make_settings()) if spec.starts_job}
    assert "create_cluster" in jobs and "get_cluster_kubeconfig" not in jobs
    for tool in tools:
        assert ("request_id" in tool["inputSchema"]["properties"]) == (tool["name"] in jobs)
        assert ("execution" in tool) == (tool["name"] in jobs), tool["name"]


async def test_the_full_default_tool_list_fits_the_budget_on_the_2025_wire_too(
    make_settings: Callable[..., Settings],
) -> None:
    listed = json.dumps(await _tools(make_settings()))  # as tests/e2e/test_tool_list_size.py
    assert len(listed) <= BUDGET_CHARS, len(listed)


def test_every_envelope_shape_validates_against_the_declared_schema() -> None:
    from jsonschema import Draft202012Validator

    from mcp_front import envelope

    validator = Draft202012Validator(ENVELOPE_SCHEMA)
    Draft202012Validator.check_schema(ENVELOPE_SCHEMA)
    answers = [
        envelope.success([{"id": "x"}]),
        envelope.success({"id": "x"}, job={"id": "j", "state": "running"}, source="cache"),
        envelope.success(None, text="file content"),
        envelope.error("name: too long", details={"field": "name"}),
        envelope.with_fields(envelope.error("declined"), hint="ask again"),
    ]
    for answer in answers:
        assert not list(validator.iter_errors(answer.structured_content)), answer
    # The schema says something: a payload that is not an envelope is refused.
    for wrong in ({"data": []}, {"status": "ok", "data": []}, [], "success"):
        assert list(validator.iter_errors(wrong)), wrong
