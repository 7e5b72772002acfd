"""The HTTP transport's rough edges: SIGTERM, idle sessions, unknown prompts and resources."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from tests.e2e.http_support import TOKEN, authorized, http_serve
from tests.e2e.stdio_support import serve_env

pytestmark = pytest.mark.anyio
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "0"},
    },
}


async def test_sigterm_with_sessions_and_calls_in_flight_exits_cleanly(tmp_path: Path) -> None:
    env = serve_env(tmp_path, SCW_MCP_SHUTDOWN_GRACE_S="1", SCW_MCP_SANDBOX_SPEED="1")
    with http_serve(env, "--sandbox") as served:
        started = anyio.Event()

        async def slow_call() -> None:
            target = streamable_http_client(served.url, http_client=authorized())
            try:
                async with Client(target, mode="legacy") as client:
                    started.set()
                    await client.call_tool("create_cluster", {"name": "c", "node_type": "DEV1-M"})
            except Exception:  # the server goes away under it, as intended
                pass

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(slow_call)
            await started.wait()
            await anyio.sleep(0.5)  # let the calls reach their jobs
            served.process.send_signal(signal.SIGTERM)
            await anyio.to_thread.run_sync(served.process.wait, 60)
            tg.cancel_scope.cancel()
        code, log = served.process.returncode, served.log()

    assert code == 0, log
    assert "received SIGTERM" in log and "Traceback" not in log, log


def test_an_idle_session_expires(tmp_path: Path) -> None:
    env = serve_env(tmp_path, SCW_MCP_HTTP_SESSION_IDLE_S="1")
    with http_serve(env) as served, httpx.Client(headers=HEADERS, timeout=30) as http:
        opened = http.post(served.url, json=INITIALIZE)
        session = {"mcp-session-id": opened.headers["mcp-session-id"]}
        ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
        assert http.post(served.url, json=ping, headers=session).status_code == 200
        statuses = []
        for _ in range(30):  # each probe after more than the 1 s idle limit
            time.sleep(1.5)
            statuses.append(http.post(served.url, json=ping, headers=session).status_code)
            if statuses[-1] == 404:
                break
        log = served.log()

    assert statuses[-1] == 404, statuses
    assert "idle timeout" in log, log


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_unknown_prompt_and_resource_are_invalid_params(mode: str, tmp_path: Path) -> None:
    with http_serve(serve_env(tmp_path)) as served:
        target = streamable_http_client(served.url, http_client=authorized())
        errors: dict[str, Any] = {}
        async with Client(target, mode=mode) as client:
            for name, ask in [
                ("prompt", lambda: client.get_prompt("nope")),
                ("resource", lambda: client.read_resource("nope://x")),
                ("job", lambda: client.read_resource("job://nope")),
            ]:
                with pytest.raises(MCPError) as raised:
                    await ask()
                errors[name] = raised.value.error
        log = served.log()

    assert {name: e.code for name, e in errors.items()} == dict.fromkeys(errors, -32602)
    assert "nope" in errors["prompt"].message and "prompts: none" in errors["prompt"].message
    assert "Traceback" not in log, log
