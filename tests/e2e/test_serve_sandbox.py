"""`serve --sandbox`: no account, a banner on stderr, and results that say where they come from."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from mcp import Client

from tests.e2e.stdio_support import REPO_ROOT, sandbox_params

pytestmark = pytest.mark.anyio


async def test_serve_sandbox_needs_no_credentials_and_labels_its_results(tmp_path: Path) -> None:
    async with Client(sandbox_params(tmp_path)) as client:
        created = await client.call_tool(
            "create_instance",
            {"name": "web-1", "commercial_type": "DEV1-S", "image": "ubuntu_noble"},
        )
        listed = await client.call_tool("list_instances", {})
    body = created.structured_content
    assert body is not None and body["status"] == "success", body
    assert body["data"]["state"] == "running"
    assert "sandbox" in body["source"]
    servers = listed.structured_content["data"]["servers"]  # type: ignore[index]
    assert [s["name"] for s in servers] == ["web-1"]
    assert "sandbox" in listed.structured_content["source"]  # type: ignore[index]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_standalone_sandbox_command_serves_the_api_and_says_so(tmp_path: Path) -> None:
    port, s3_port = _free_port(), _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mcp_front",
            "sandbox",
            "--port",
            str(port),
            "--s3-port",
            str(s3_port),
            "--speed",
            "100",
        ],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/_sandbox/info", timeout=1)
                break
            except httpx.HTTPError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert answer.headers["x-scaleway-sandbox"] == "true"
        unauthenticated = httpx.get(
            f"http://127.0.0.1:{port}/instance/v1/zones/fr-par-1/servers", timeout=5
        )
        assert unauthenticated.status_code == 401
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert out == b""  # the banner goes to stderr
    assert f"127.0.0.1:{port}" in err.decode()
