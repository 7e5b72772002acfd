"""Shared pieces of the cluster, database and registry end-to-end tests.

Import ``sandbox_fixture`` and ``session_fixture`` into a test module for the fixtures
``sandbox`` (a fresh sandbox at speed 1000) and ``session`` (client and runtime on it).

An in-process MCP session over a runtime whose Scaleway client talks to the sandbox with
millisecond retries and polls scaled 1000x down (a cluster's first poll after 15 ms), to
match a sandbox at speed 1000; plus helpers to read envelopes and look inside the job file.
"""

from __future__ import annotations

import logging
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from mcp_front.config import Settings
from mcp_front.runtime import Runtime, open_runtime, poll_settings
from mcp_front.server import build_server
from sandbox.server import SandboxServer
from tests.integration.scaleway_harness import fast_client
from workers.services import Services

Session = tuple[Client, Runtime]
POLL_SCALE = "0.001"


@pytest.fixture(name="sandbox")
def sandbox_fixture() -> Iterator[SandboxServer]:
    """A fresh sandbox at speed 1000 (a 4-minute cluster takes a quarter of a second)."""
    with SandboxServer(speed=1000, seed=0, with_s3=False) as sb:
        yield sb


@pytest.fixture(name="session")
async def session_fixture(
    sandbox: SandboxServer, make_settings: Callable[..., Settings]
) -> AsyncIterator[Session]:
    """An MCP client and its runtime on the sandbox, polls scaled to its speed."""
    settings = make_settings(
        SCW_API_URL=sandbox.api_url, SCW_MCP_WAIT_BUDGET_S="20", SCW_MCP_POLL_SCALE=POLL_SCALE
    )
    async with sandbox_session(settings, sandbox.api_url) as opened:
        yield opened


def groups_session_fixture(groups: str) -> Any:
    """The ``session`` fixture with the tool groups ``groups`` (e.g. ``default,lb``) on."""

    @pytest.fixture(name="session")
    async def fixture(
        sandbox: SandboxServer, make_settings: Callable[..., Settings]
    ) -> AsyncIterator[Session]:
        settings = make_settings(
            SCW_API_URL=sandbox.api_url,
            SCW_MCP_WAIT_BUDGET_S="20",
            SCW_MCP_POLL_SCALE=POLL_SCALE,
            SCW_MCP_TOOL_GROUPS=groups,
        )
        async with sandbox_session(settings, sandbox.api_url) as opened:
            yield opened

    return fixture


def body(result: CallToolResult) -> dict[str, Any]:
    """The envelope of a tool result."""
    assert result.structured_content is not None
    return result.structured_content


@asynccontextmanager
async def sandbox_session(settings: Settings, api_url: str) -> AsyncIterator[Session]:
    """A real MCP client session on a runtime pointed at a sandbox."""
    settings = replace(settings, sandbox=True)
    client = fast_client(api_url)
    services = Services(
        secrets_dir=settings.secrets_dir,
        scaleway=client,
        sandbox=True,
        polling=poll_settings(settings),
    )
    async with open_runtime(settings, services=services) as runtime:
        async with Client(build_server(runtime)) as session:
            yield session, runtime


async def call(client: Client, tool: str, progress: list[str] | None = None, **args: Any) -> Any:
    """Call a tool and return its envelope, collecting progress messages if asked."""

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        if progress is not None and message:
            progress.append(message)

    result = await client.call_tool(tool, args, progress_callback=on_progress)
    return body(result)


def stored_bytes(data_dir: Path) -> bytes:
    """Every byte of the job database files (main file, WAL and shared memory)."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("*jobs.db*")) if p.is_file())


def secret_file(path: str | Path) -> tuple[int, str]:
    """A secret file's permission bits and content."""
    target = Path(path)
    return stat.S_IMODE(target.stat().st_mode), target.read_text()


async def until(condition: Callable[[], Awaitable[bool]], timeout_s: float = 20) -> None:
    """Wait until ``condition()`` holds, checking every 20 ms."""
    with anyio.fail_after(timeout_s):
        while True:
            if await condition():
                return
            await anyio.sleep(0.02)


def list_dir(path: Path) -> list[Path]:
    """The entries of a directory."""
    return list(path.iterdir())


def log_text(records: list[logging.LogRecord]) -> str:
    """Every captured log line, formatted with its arguments."""
    return "\n".join(r.getMessage() for r in records)
