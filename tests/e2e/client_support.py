"""In-process SDK clients of either protocol generation on a runtime pointed at a sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from mcp import Client

from mcp_front.config import Settings
from mcp_front.runtime import Runtime, open_runtime, poll_settings
from mcp_front.server import build_server
from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import POLL_SCALE, body
from tests.integration.scaleway_harness import fast_client
from workers.services import Services

MODES = ["legacy", "2026-07-28"]


@pytest.fixture(name="settings")
def settings_fixture(sandbox: SandboxServer, make_settings: Callable[..., Settings]) -> Settings:
    """Settings on the ``sandbox`` fixture, polls scaled to its speed."""
    made = make_settings(
        SCW_API_URL=sandbox.api_url, SCW_MCP_WAIT_BUDGET_S="20", SCW_MCP_POLL_SCALE=POLL_SCALE
    )
    return replace(made, sandbox=True)


def no_wait_settings(
    sandbox: SandboxServer, make_settings: Callable[..., Settings], poll_scale: str
) -> Settings:
    """Settings on ``sandbox`` where a mutation returns its job id at once (no wait budget)."""
    made = make_settings(
        SCW_API_URL=sandbox.api_url, SCW_MCP_WAIT_BUDGET_S="0", SCW_MCP_POLL_SCALE=poll_scale
    )
    return replace(made, sandbox=True)


@asynccontextmanager
async def connected(
    settings: Settings, api_url: str, mode: str, **options: Any
) -> AsyncIterator[tuple[Client, Runtime]]:
    """A runtime on the sandbox at ``api_url`` and an SDK client of ``mode`` on it."""
    client = fast_client(api_url)
    services = Services(
        secrets_dir=settings.secrets_dir,
        scaleway=client,
        sandbox=True,
        polling=poll_settings(settings),
    )
    async with open_runtime(settings, services=services) as runtime:
        async with Client(build_server(runtime), mode=mode, **options) as session:
            yield session, runtime


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    """A tool's envelope."""
    return body(await client.call_tool(tool, args))
