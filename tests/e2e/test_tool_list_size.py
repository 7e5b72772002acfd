"""The default tool list stays small: the model reads every description and schema each turn."""

from __future__ import annotations

import json

import pytest

from tests.integration.scaleway_harness import (  # noqa: F401 - fixtures
    Session,
    sandbox_fixture,
    session_fixture,
)

pytestmark = pytest.mark.anyio
DEFAULT_BUDGET_CHARS = 40_000


async def test_the_default_tool_list_fits_in_40000_characters(session: Session) -> None:
    client, _ = session
    tools = (await client.list_tools()).tools
    size = len(
        json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools])
    )
    assert size <= DEFAULT_BUDGET_CHARS, f"{len(tools)} tools take {size} characters"
    schemas = json.dumps([t.input_schema for t in tools])
    assert '"title"' not in schemas  # pydantic's generated titles only repeat field names
