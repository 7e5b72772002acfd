"""Rate limits per API and zone or region; a read answers within the client's window.

A 429 with ``Retry-After: 60`` on the Instance API in one zone holds up only that API in
that zone. Inside ``answer_within`` (every read tool) a call never waits past the budget: it
fails at once with "retry in N s". Outside it (a job), the call waits its turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from mcp import Client

from mcp_front.config import Settings
from mcp_front.runtime import open_runtime
from mcp_front.server import build_server
from sandbox.server import SandboxServer
from tests.integration.scaleway_harness import (  # noqa: F401 - fixtures
    ZONE,
    fast_client,
    sandbox_fixture,
)
from workers.scaleway import errors
from workers.scaleway.client import ScalewayClient
from workers.scaleway.ratelimit import RateLimiter, RateLimits, answer_time_left, answer_within

pytestmark = pytest.mark.anyio
LIST_SERVERS = "GET /instance/v1/zones/{zone}/servers"
OTHER_ZONE = "nl-ams-1"


class Sleeps:
    """A sleep that records how long it was asked to wait, and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def limited_client(sandbox: SandboxServer, sleeps: Sleeps) -> ScalewayClient:
    """A sandbox client whose rate-limit waits go to ``sleeps``."""
    config = fast_client(sandbox.api_url).config
    return ScalewayClient(config, limits=RateLimits(lambda: RateLimiter(1000.0, 100, sleep=sleeps)))


async def test_a_429_holds_up_only_that_api_in_that_zone(sandbox: SandboxServer) -> None:
    sleeps = Sleeps()
    client = limited_client(sandbox, sleeps)
    sandbox.state.faults.add(LIST_SERVERS, "429_retry_after", times=1, retry_after_s=60)
    try:
        with pytest.raises(errors.RateLimited) as limited:
            await client.call(client.instance.list_servers, zone=ZONE)
        assert re.search(r"retry in (5\d|60) s", str(limited.value))
        await client.call(client.instance.list_servers, zone=OTHER_ZONE)
        await client.call(client.vpc.list_private_networks, region="fr-par")
        assert sleeps.waits == []  # nobody else waited
        await client.call(client.instance.list_servers, zone=ZONE)  # a job: waits its turn
    finally:
        await client.aclose()
    assert len(sleeps.waits) == 1 and 50 < sleeps.waits[0] <= 60


async def test_a_read_never_waits_past_its_budget(sandbox: SandboxServer) -> None:
    sleeps = Sleeps()
    client = limited_client(sandbox, sleeps)
    sandbox.state.faults.add(LIST_SERVERS, "429_retry_after", times=1, retry_after_s=60)
    try:
        with answer_within(5.0):
            with pytest.raises(errors.RateLimited) as first:
                await client.call_idempotent(client.instance.list_servers, zone=ZONE)
            with pytest.raises(errors.RateLimited) as second:
                await client.call_idempotent(client.instance.list_servers, zone=ZONE)
    finally:
        await client.aclose()
    assert sandbox.state.counters[LIST_SERVERS] == 1  # no retry inside the window
    assert sleeps.waits == []
    for limited in (first.value, second.value):
        assert re.search(r"retry in (5\d|60) s", str(limited)), str(limited)
        assert limited.retry_after_s is not None and limited.retry_after_s > 50


async def test_a_short_turn_is_waited_for_within_the_budget(sandbox: SandboxServer) -> None:
    sleeps = Sleeps()
    client = limited_client(sandbox, sleeps)
    sandbox.state.faults.add(LIST_SERVERS, "429_retry_after", times=1, retry_after_s=2)
    try:
        with answer_within(5.0):
            with pytest.raises(errors.RateLimited):
                await client.call(client.instance.list_servers, zone=ZONE)
            await client.call(client.instance.list_servers, zone=ZONE)
    finally:
        await client.aclose()
    assert len(sleeps.waits) == 1 and sleeps.waits[0] <= 2


def test_the_budget_is_scoped_to_the_block() -> None:
    assert answer_time_left() is None
    with answer_within(3.0):
        left = answer_time_left()
        assert left is not None and 0 < left <= 3.0
    assert answer_time_left() is None


async def test_read_tools_answer_rate_limited_at_once_and_other_apis_still_answer(
    sandbox: SandboxServer, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(SCW_API_URL=sandbox.api_url, SCW_MCP_WAIT_BUDGET_S="3")
    sandbox.state.faults.add(LIST_SERVERS, "429_retry_after", times=1, retry_after_s=60)
    async with open_runtime(settings) as runtime, Client(build_server(runtime)) as client:
        servers = await client.call_tool("list_instances", {"zone": ZONE})
        networks = await client.call_tool("list_private_networks", {})
        again = await client.call_tool("list_instances", {"zone": ZONE})
    assert servers.is_error and again.is_error
    for answer in (servers, again):
        message = answer.structured_content["message"]  # type: ignore[index]
        assert re.search(r"instance API in fr-par-1 is rate limiting .* retry in \d+ s", message)
    assert not networks.is_error
