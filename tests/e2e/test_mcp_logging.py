"""MCP log messages about the session's own jobs: logging/setLevel (handshake era) and the
per-request opt-in (2026-07-28), with no parameters, results or secrets in them."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import LoggingMessageNotificationParams

from mcp_front.config import Settings
from sandbox.server import SandboxServer
from tests.e2e.client_support import call, connected, settings_fixture  # noqa: F401
from tests.e2e.long_jobs_support import sandbox_fixture  # noqa: F401

pytestmark = pytest.mark.anyio


class Heard:
    """A logging callback that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[LoggingMessageNotificationParams] = []

    async def __call__(self, params: LoggingMessageNotificationParams) -> None:
        self.messages.append(params)

    def states(self, job_id: str) -> list[str]:
        return [m.data["state"] for m in self.messages if m.data.get("job_id") == job_id]


async def test_handshake_client_sets_the_level_and_hears_its_jobs(
    settings: Settings, sandbox: SandboxServer
) -> None:
    heard = Heard()
    async with connected(settings, sandbox.api_url, "legacy", logging_callback=heard) as (
        client,
        _,
    ):
        assert client.server_capabilities.logging is not None
        await client.set_logging_level("error")
        quiet = await call(client, "create_instance", name="quiet", commercial_type="DEV1-S")
        heard_quiet = list(heard.messages)
        await client.set_logging_level("info")
        loud = await call(client, "create_instance", name="loud", commercial_type="DEV1-S")

    assert quiet["status"] == "success" and heard_quiet == []
    states = heard.states(loud["job"]["id"])
    assert states[-1] == "succeeded" and len(states) >= 2, states
    message = next(m for m in heard.messages if m.data["job_id"] == loud["job"]["id"])
    assert message.logger == "scaleway.jobs" and message.level == "info"
    assert set(message.data) <= {"job_id", "operation", "state", "phase", "message"}


async def test_failed_job_is_logged_as_an_error(settings: Settings, sandbox: SandboxServer) -> None:
    heard = Heard()
    async with connected(settings, sandbox.api_url, "legacy", logging_callback=heard) as (
        client,
        _,
    ):
        made = await call(client, "create_instance", name="kept", commercial_type="DEV1-S")
        record = sandbox.state.get("server", made["data"]["id"])
        assert record is not None
        record.data["protected"] = True
        failed = await call(client, "delete_instance", server_id=record.id, confirm=True)

    assert failed["status"] == "error", failed
    errors = [m for m in heard.messages if m.level == "error"]
    assert errors and errors[-1].data["state"] == "failed", heard.messages
    assert errors[-1].data["message"]


@pytest.mark.parametrize(("opt_in", "expected"), [(None, False), ("info", True)])
async def test_2026_client_hears_only_when_it_opts_in(
    opt_in: Any, expected: bool, settings: Settings, sandbox: SandboxServer
) -> None:
    heard = Heard()
    async with connected(
        settings, sandbox.api_url, "2026-07-28", logging_callback=heard, log_level=opt_in
    ) as (client, _):
        made = await call(client, "create_instance", name="web-1", commercial_type="DEV1-S")

    assert made["status"] == "success"
    states = heard.states(made["job"]["id"])
    assert bool(states) is expected, heard.messages
    if expected:
        assert states[-1] == "succeeded"
