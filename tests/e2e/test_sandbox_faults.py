"""Faults a `serve --sandbox` process starts with, and an S3 server that stays quiet."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from mcp import Client

from tests.e2e.stdio_support import REPO_ROOT, call_ok, sandbox_env, sandbox_params

pytestmark = pytest.mark.anyio

LOST_CREATE = [
    {
        "route": "POST /instance/v1/zones/{zone}/servers",
        "kind": "commit_then_drop",
        "times": 1,
    }
]


async def test_a_create_whose_answer_was_lost_makes_one_server(tmp_path: Path) -> None:
    params = sandbox_params(tmp_path, SCW_MCP_SANDBOX_FAULTS=json.dumps(LOST_CREATE))
    async with Client(params) as client:
        created = await call_ok(client, "create_instance", name="web-1", commercial_type="DEV1-S")
        servers = (await call_ok(client, "list_instances"))["data"]["servers"]
    assert [s["id"] for s in servers] == [created["data"]["id"]]


def test_bad_fault_rules_stop_start_up_naming_the_variable(tmp_path: Path) -> None:
    rules = json.dumps([{"route": "*", "kind": "meteor"}])
    result = subprocess.run(
        [sys.executable, "-m", "mcp_front", "serve", "--sandbox"],
        env=sandbox_env(tmp_path, SCW_MCP_SANDBOX_FAULTS=rules),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SCW_MCP_SANDBOX_FAULTS" in result.stderr and "commit_then_drop" in result.stderr
    assert "Traceback" not in result.stderr


def test_s3_requests_moto_cannot_handle_leave_no_traceback(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mcp_front", "serve", "--sandbox"],
        env=sandbox_env(tmp_path),
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    try:
        seen = ""
        while (match := re.search(r"S3 at (http://127\.0\.0\.1:\d+)", seen)) is None:
            line = process.stderr.readline()
            assert line, f"serve --sandbox ended early: {seen}"
            seen += line
        s3_url = match.group(1)
        httpx.put(f"{s3_url}/fuzzed-bucket")
        for _ in range(20):
            odd = httpx.get(f"{s3_url}/fuzzed-bucket", params={"list-type": 2, "max-keys": "x"})
            assert odd.status_code == 500 and b"InternalError" in odd.content
    finally:
        _, rest = process.communicate(timeout=60)  # closing stdin ends the server
    assert "Traceback" not in seen + rest and "Error on request" not in seen + rest
