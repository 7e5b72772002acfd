"""The Scaleway adapter: error mapping, retries, timeouts, rate limiting, lazy SDK import."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from sandbox.server import SandboxServer
from tests.integration.scaleway_harness import (  # noqa: F401 - fixtures
    ZERO_UUID,
    ZONE,
    fast_client,
    sandbox_fixture,
)
from workers import errors as base
from workers.polling import PollSchedule, PollSettings
from workers.scaleway import errors
from workers.scaleway.ratelimit import RateLimiter

pytestmark = pytest.mark.anyio
MISSING = "11111111-2222-3333-4444-555555555555"
GET_SERVER = "GET /instance/v1/zones/{zone}/servers/{server_id}"


# -- mapping real error shapes (status, headers, body) ---------------------------------------
CASES: list[tuple[int, dict[str, str], dict[str, Any] | None, type[errors.ScalewayError]]] = [
    (429, {"X-Envoy-Ratelimited": "true"}, None, errors.RateLimited),
    (503, {}, {"type": "service_unavailable", "message": "busy"}, errors.Transient),
    (
        404,
        {},
        {
            "type": "not_found",
            "message": "resource is not found",
            "resource": "instance_server",
            "resource_id": MISSING,
        },
        errors.NotFound,
    ),
    (404, {}, {"message": "Namespace was not found"}, errors.NotFound),
    (
        400,
        {},
        {
            "type": "invalid_arguments",
            "message": "invalid argument(s)",
            "details": [
                {"argument_name": "volume_id", "reason": "constraint", "help_message": "bad size"}
            ],
        },
        errors.InvalidRequest,
    ),
    (
        401,
        {},
        {
            "type": "denied_authentication",
            "message": "authentication is denied",
            "method": "api_key",
            "reason": "not_found",
        },
        errors.Unauthorized,
    ),
    (
        403,
        {},
        {
            "type": "permissions_denied",
            "message": "insufficient permissions",
            "details": [{"action": "read", "resource": "snapshot"}],
        },
        errors.Forbidden,
    ),
    (
        403,
        {},
        {
            "type": "quotas_exceeded",
            "message": "quota(s) exceeded for this resource",
            "details": [{"resource": "instances_servers_per_zone", "quota": 1, "current": 1}],
        },
        errors.QuotaExceeded,
    ),
    (
        409,
        {},
        {
            "type": "transient_state",
            "message": "resource is in a transient state",
            "resource": "gateway",
            "resource_id": MISSING,
            "current_state": "configuring",
        },
        errors.Conflict,
    ),
    (409, {}, {"message": "Tuple concurrently updated"}, errors.Conflict),
    (
        412,
        {},
        {
            "type": "precondition_failed",
            "message": "precondition is not respected",
            "precondition": "protected_resource",
            "help_message": "protected",
        },
        errors.Conflict,
    ),
]


@pytest.mark.parametrize(("status", "headers", "body", "kind"), CASES)
def test_error_answers_map_by_status_and_type(
    status: int, headers: dict[str, str], body: dict[str, Any] | None, kind: type
) -> None:
    error = errors.from_http(status, headers, body)
    assert type(error) is kind
    assert error.status == status
    retryable = isinstance(error, base.TransientError)
    assert retryable == (status in (429, 503))
    assert isinstance(error, base.PermanentError) != retryable


def test_messages_carry_the_useful_fields() -> None:
    invalid = errors.from_http(400, {}, CASES[4][2])
    assert isinstance(invalid, errors.InvalidRequest)
    assert invalid.fields == {"volume_id": "bad size"}
    assert "volume_id" in str(invalid) and "bad size" in str(invalid)
    quota = errors.from_http(403, {}, CASES[7][2])
    assert "instances_servers_per_zone" in str(quota) and "quota 1" in str(quota)
    conflict = errors.from_http(409, {}, CASES[8][2])
    assert "configuring" in str(conflict) and conflict.current_state == "configuring"
    limited = errors.from_http(429, {"Retry-After": "3"}, None)
    assert isinstance(limited, errors.RateLimited) and limited.retry_after_s == 3.0


# -- against the sandbox -------------------------------------------------------------------
async def test_sandbox_404_and_400_become_not_found_and_invalid_request(
    sandbox: SandboxServer,
) -> None:
    client = fast_client(sandbox.api_url)
    with pytest.raises(errors.NotFound) as missing:
        await client.call(client.instance.get_server, zone=ZONE, server_id=MISSING)
    assert missing.value.resource == "instance_server" and missing.value.resource_id == MISSING
    with pytest.raises(errors.InvalidRequest) as invalid:
        await client.call(
            client.instance.create_server, zone=ZONE, commercial_type="NOPE", image="ubuntu_noble"
        )
    assert "commercial_type" in invalid.value.fields
    await client.aclose()


async def test_reads_retry_through_429_and_503(sandbox: SandboxServer) -> None:
    client = fast_client(sandbox.api_url)
    sandbox.state.faults.add(GET_SERVER, "429", times=1)
    sandbox.state.faults.add(GET_SERVER, "503", times=1)
    with pytest.raises(errors.NotFound):  # reached the real answer after two faults
        await client.call_idempotent(client.instance.get_server, zone=ZONE, server_id=MISSING)
    assert sandbox.state.counters[GET_SERVER] == 3
    await client.aclose()


async def test_429_pauses_every_caller_of_that_api_in_that_zone(sandbox: SandboxServer) -> None:
    client = fast_client(sandbox.api_url, rate_limit_pause_s=0.5)
    sandbox.state.faults.add(GET_SERVER, "429", times=1)
    with pytest.raises(errors.RateLimited):
        await client.call(client.instance.get_server, zone=ZONE, server_id=MISSING)
    # The next caller of the Instance API in that zone waits (test_rate_limits: only it).
    assert client.limits.limiter("instance", ZONE).reserve() > 0.3
    await client.aclose()


async def test_slow_answer_times_out_as_transient(sandbox: SandboxServer) -> None:
    client = fast_client(sandbox.api_url, read_timeout_s=0.1)
    sandbox.state.faults.add(GET_SERVER, "latency", latency_s=1.0)
    with pytest.raises(errors.Transient, match="timed out"):
        await client.call(client.instance.get_server, zone=ZONE, server_id=MISSING)
    await client.aclose()


async def test_dropped_connection_is_transient(sandbox: SandboxServer) -> None:
    client = fast_client(sandbox.api_url)
    sandbox.state.faults.add("GET /instance/v1/zones/{zone}/servers", "drop", times=1)
    with pytest.raises(errors.Transient):
        await client.call(client.instance.list_servers, zone=ZONE)
    await client.aclose()


async def test_refused_credentials_never_echo_the_secret() -> None:
    with SandboxServer(speed=1000, with_s3=False, accepted_keys=["SCW00000000000000000"]) as sb:
        client = fast_client(sb.api_url)
        with pytest.raises(errors.Unauthorized) as refused:
            await client.call(client.instance.list_servers, zone=ZONE)
        await client.aclose()
    assert ZERO_UUID not in str(refused.value)
    assert "SCW_SECRET_KEY" in str(refused.value)


async def test_all_apis_share_one_session(sandbox: SandboxServer) -> None:
    client = fast_client(sandbox.api_url)
    sessions = {id(api._session) for api in (client.instance, client.vpc, client.marketplace)}
    assert len(sessions) == 1
    await client.aclose()


def test_server_start_up_does_not_import_the_sdk() -> None:
    heavy = ("scaleway", "requests", "aioboto3", "botocore", "alembic")
    code = (
        "import sys, mcp_front.cli, mcp_front.server, mcp_front.runtime, workers.operations;"
        "workers.operations.product_operations();"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


# -- pure pieces -------------------------------------------------------------------------------
def test_rate_limiter_spaces_calls_beyond_the_burst() -> None:
    now = [0.0]
    limiter = RateLimiter(rate_per_s=10, burst=2, clock=lambda: now[0])
    waits = [limiter.reserve() for _ in range(4)]
    assert waits == [0.0, 0.0, pytest.approx(0.1), pytest.approx(0.2)]
    now[0] = 10.0
    assert limiter.reserve() == 0.0  # the bucket refilled


def test_poll_schedule_grows_to_its_cap() -> None:
    schedule = PollSettings().for_kind("server")
    delays = [schedule.delay_s(n) for n in range(8)]
    assert delays[0] == 2.0 and delays == sorted(delays) and max(delays) == 10.0
    assert PollSettings().for_kind("cluster").delay_s(0) == 15.0
    assert PollSettings().for_kind("cluster").delay_s(20) == 30.0
    assert PollSettings().for_kind("unknown") == PollSettings().for_kind("default")
    assert PollSchedule(initial_s=1, cap_s=4, timeout_s=10).expired(11)


async def test_create_once_sends_no_create_once_its_job_lease_is_lost(
    sandbox: SandboxServer,
) -> None:
    from jobs.errors import LeaseLost
    from workers.fencing import fenced_by
    from workers.scaleway.network import ensure_network

    async def lost() -> None:
        raise LeaseLost("job j1 is no longer leased to w1")

    async def nothing_found() -> None:
        return None

    client = fast_client(sandbox.api_url)
    with fenced_by(lost), pytest.raises(LeaseLost):
        await ensure_network(client, "fr-par", "pn", ["job:j1"], ZERO_UUID, nothing_found)
    assert sandbox.state.created("private_network") == 0
    # Outside a job step there is no lease to hold: the create goes through.
    await ensure_network(client, "fr-par", "pn", ["job:j1"], ZERO_UUID, nothing_found)
    assert sandbox.state.created("private_network") == 1
