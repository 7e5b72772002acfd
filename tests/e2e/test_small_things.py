"""Small things seen by a new user (issue 17, item 7), each with its test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from mcp import Client

from mcp_front.config import ConfigError, Settings, load_settings
from mcp_front.errors import error_message
from mcp_front.runtime import open_runtime
from mcp_front.server import build_server
from sandbox.server import SandboxServer
from tests.conftest import FAKE_ENV
from workers.errors import PermanentError
from workers.scaleway.k8s import pool_summary

pytestmark = pytest.mark.anyio
ZERO_UUID = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(speed=1000, with_s3=False) as sb:
        yield sb


@pytest.fixture
async def client(
    sandbox: SandboxServer, make_settings: Callable[..., Settings]
) -> AsyncIterator[Client]:
    settings = make_settings(SCW_API_URL=sandbox.api_url)
    async with open_runtime(settings) as runtime, Client(build_server(runtime)) as c:
        yield c


async def data_of(client: Client, tool: str, **args: Any) -> Any:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.structured_content
    return result.structured_content["data"]  # type: ignore[index]


async def test_created_instance_shows_its_root_volume_size_and_its_nics_once(
    client: Client,
) -> None:
    server = await data_of(
        client,
        "create_instance",
        name="sized",
        commercial_type="DEV1-S",
        image="ubuntu_noble",
        volume_size_gb=20,
    )
    assert [v["size_bytes"] for v in server["volumes"]] == [20 * 1000**3]
    assert "private_nics" not in server  # the count; the list is under ips
    assert server["ips"]["private_nics"] == []


async def test_a_job_that_ran_once_shows_one_attempt(client: Client) -> None:
    created = await client.call_tool(
        "create_instance", {"name": "once", "commercial_type": "DEV1-S", "image": "ubuntu_noble"}
    )
    job_id = created.structured_content["job"]["id"]  # type: ignore[index]
    status = await data_of(client, "get_job_status", job_id=job_id, wait_s=20)
    assert status["state"] == "succeeded" and status["attempts"] == 1


def test_node_types_come_out_as_they_went_in() -> None:
    pool = SimpleNamespace(
        id="p",
        name="default",
        status="ready",
        node_type="dev1_m",
        size=1,
        autoscaling=False,
        min_size=1,
        max_size=1,
        zone="fr-par-1",
    )
    assert pool_summary(pool)["node_type"] == "DEV1-M"


def test_the_zero_uuid_is_never_redacted(tmp_path: Path) -> None:
    settings = load_settings({**FAKE_ENV, "HOME": str(tmp_path)})
    assert settings.credentials.secret_key == ZERO_UUID
    message = error_message(
        PermanentError(f"project {ZERO_UUID} was not found (404)"), settings.secret_values()
    )
    assert ZERO_UUID in message and "REDACTED" not in message


async def test_bounds_are_worded_like_every_other_error(client: Client) -> None:
    result = await client.call_tool(
        "get_job_status", {"job_id": "11111111-2222-3333-4444-555555555555", "events": 500}
    )
    message = result.structured_content["message"]  # type: ignore[index]
    assert "events: must be at most 100" in message
    assert "Input should" not in message


def test_a_bad_zone_in_the_config_file_is_named_as_the_file_names_it(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"access_key: SCWXXXXXXXXXXXXXXXXX\nsecret_key: {ZERO_UUID}\ndefault_zone: fr-par-9\n"
    )
    with pytest.raises(ConfigError) as bad:
        load_settings({"SCW_CONFIG_PATH": str(config), "HOME": str(tmp_path)})
    assert "default_zone of the Scaleway config file" in str(bad.value)
    assert "SCW_DEFAULT_ZONE" not in str(bad.value)
    with pytest.raises(ConfigError) as from_env:
        load_settings(
            {"SCW_CONFIG_PATH": str(config), "HOME": str(tmp_path), "SCW_DEFAULT_ZONE": "xx-1"}
        )
    assert "SCW_DEFAULT_ZONE" in str(from_env.value)
