"""Streamable HTTP: loopback, and no request gets through without the bearer token."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.e2e.http_support import TOKEN, free_port, http_serve
from tests.e2e.stdio_support import REPO_ROOT, serve_command, serve_env


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    with http_serve(serve_env(tmp_path)) as served:
        yield served.url


def test_requests_without_the_token_are_refused(http_server: str) -> None:
    hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    missing = httpx.post(http_server, json=hello)
    wrong = httpx.post(http_server, json=hello, headers={"Authorization": "Bearer nope"})
    assert missing.status_code == 401 and wrong.status_code == 401
    assert missing.json()["status"] == "error"


@pytest.mark.anyio
async def test_a_client_with_the_token_lists_and_calls_tools(http_server: str) -> None:
    http_client = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    async with Client(streamable_http_client(http_server, http_client=http_client)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("list_jobs", {})
    assert {"get_job_status", "list_jobs", "cancel_job"} <= names
    assert result.structured_content == {
        "status": "success",
        "data": {"jobs": [], "count": 0, "next_cursor": None},
    }


def test_http_transport_without_a_token_refuses_to_start(tmp_path: Path) -> None:
    result = subprocess.run(
        [*serve_command(), "--transport", "http", "--port", str(free_port())],
        env=serve_env(tmp_path),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SCW_MCP_HTTP_TOKEN" in result.stderr
