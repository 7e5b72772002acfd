"""Start-up: the handshake (initialize + tools/list) loads neither the sandbox nor the job
database stack; they load once the client has the tool list (``-X importtime`` of a real
``serve`` process, split at its "opening the job runtime" log line)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.e2e.stdio_support import REPO_ROOT, serve_env

pytestmark = pytest.mark.anyio

MARKER = "opening the job runtime"
# Heavy packages no answer of the handshake needs.
DEFERRED = (
    *("sandbox", "moto", "flask", "sqlalchemy", "alembic", "aiosqlite", "boto3", "aioboto3"),
    *("scaleway", "scaleway_core", "tenacity", "dateutil"),
)


def imported_before_and_after(stderr: str) -> tuple[set[str], set[str]]:
    """Top-level packages imported before and after the marker line of ``stderr``."""
    before, after = set(), set()
    current = before
    for line in stderr.splitlines():
        if MARKER in line:
            current = after
        elif line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            current.add(name.split(".")[0])
    return before, after


async def handshake_stderr(tmp_path: Path, *serve_args: str) -> str:
    """Run serve through initialize + tools/list + one read; its stderr."""
    errlog = tmp_path / "stderr.txt"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-X", "importtime", "-m", "mcp_front", "serve", *serve_args],
        env=serve_env(tmp_path, SCW_MCP_SANDBOX_SPEED="200"),
        cwd=str(REPO_ROOT),
    )
    with errlog.open("w") as err:
        async with Client(stdio_client(params, errlog=err)) as client:
            assert len((await client.list_tools()).tools) >= 30
            listed = await client.call_tool("list_jobs", {})
            assert not listed.is_error
    return errlog.read_text()


@pytest.mark.parametrize("serve_args", [(), ("--sandbox",)], ids=["serve", "serve-sandbox"])
async def test_handshake_loads_no_sandbox_and_no_database_stack(
    tmp_path: Path, serve_args: tuple[str, ...]
) -> None:
    before, after = imported_before_and_after(await handshake_stderr(tmp_path, *serve_args))
    assert "mcp" in before
    assert not before & set(DEFERRED), f"loaded before the tool list: {before & set(DEFERRED)}"
    assert {"sqlalchemy", "alembic"} <= after  # the runtime opened after the handshake
    assert ("moto" in after) == ("--sandbox" in serve_args)


def test_marker_splitting_reads_importtime_lines() -> None:
    text = io.StringIO(
        "import time:       451 |      37220 | yaml\n"
        "2026-01-01 INFO mcp_front.runtime: opening the job runtime\n"
        "import time:       451 |      37220 |   sqlalchemy.orm\n"
    ).getvalue()
    assert imported_before_and_after(text) == ({"yaml"}, {"sqlalchemy"})
