"""Shared fixtures: settings over a temporary data dir, a running runtime, an MCP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from mcp_front.config import Settings, load_settings
from mcp_front.runtime import Runtime, open_runtime

FAKE_ENV = {
    "SCW_ACCESS_KEY": "SCWXXXXXXXXXXXXXXXXX",
    "SCW_SECRET_KEY": "00000000-0000-0000-0000-000000000000",
    "SCW_DEFAULT_PROJECT_ID": "00000000-0000-0000-0000-000000000000",
    "SCW_DEFAULT_REGION": "fr-par",
    "SCW_DEFAULT_ZONE": "fr-par-1",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings over ``tmp_path`` with fake credentials; keyword arguments add env vars."""

    def make(**env: str) -> Settings:
        base = {
            **FAKE_ENV,
            "HOME": str(tmp_path),
            "SCW_MCP_DATA_DIR": str(tmp_path / "data"),
            "SCW_MCP_POLL_INTERVAL_S": "0.2",
        }
        base.update(env)
        return load_settings(base)

    return make


@pytest.fixture
async def runtime(make_settings: Callable[..., Settings]) -> AsyncIterator[Runtime]:
    """A running runtime with the test-only operations loaded."""
    settings = make_settings(SCW_MCP_EXTRA_OPERATIONS="tests.support.counting_ops")
    async with open_runtime(settings) as rt:
        yield rt
