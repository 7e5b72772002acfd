"""The Kubernetes tools through a real MCP client session against the sandbox."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mcp_front.config import Settings
from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    POLL_SCALE,
    Session,
    call,
    log_text,
    sandbox_fixture,
    sandbox_session,
    secret_file,
    session_fixture,
    stored_bytes,
    until,
)
from tests.support.hints import hints

pytestmark = pytest.mark.anyio
REGION = "fr-par"
CLUSTERS_ROUTE = "POST /k8s/v1/regions/{region}/clusters"


async def create(client: Any, progress: list[str] | None = None, **args: Any) -> dict[str, Any]:
    args = {"name": "prod", "node_type": "DEV1-M", "pool_size": 3, **args}
    return dict(await call(client, "create_cluster", progress, **args))


async def test_k8s_tools_carry_the_promised_annotations(session: Session) -> None:
    client, _ = session
    tools = {t.name: t for t in (await client.list_tools()).tools}
    expected = {  # name: (read_only, destructive, idempotent)
        "list_clusters": (True, False, True),
        "get_cluster": (True, False, True),
        "get_cluster_kubeconfig": (False, False, True),  # it writes a local file
        "create_cluster": (False, False, False),
        "delete_cluster": (False, True, True),
    }
    for name, expected_hints in expected.items():
        got = tools[name]
        assert got is not None and got.title, name
        assert hints(got) == expected_hints, name


async def test_cluster_from_request_to_ready_nodes_with_progress(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    progress: list[str] = []
    answer = await create(client, progress, tags=["team:web"])

    assert answer["status"] == "success", answer
    cluster = answer["data"]
    assert cluster["status"] == "ready" and cluster["version"] == "1.35.3"  # newest by default
    assert cluster["pool"]["status"] == "ready"
    assert cluster["pool"]["nodes"] == {"total": 3, "ready": 3}
    assert cluster["private_network_created"] is True
    assert answer["job"]["state"] == "succeeded" and answer["source"].startswith("sandbox")
    # Progress told the story: the cluster's status, then the pool's node counts.
    assert any("is creating" in m for m in progress), progress
    # (a poll on a loaded machine may find every node ready at once, so either message)
    assert any("nodes ready" in m or "waiting for its nodes" in m for m in progress), progress
    # Exactly one cluster, on a network named for it.
    assert sandbox.state.created("cluster") == 1
    network = sandbox.state.get("private_network", cluster["private_network_id"])
    assert network is not None and network.name == "prod-pn"
    # Polling, not a busy loop.
    gets = sandbox.state.calls("GET", "/k8s/v1/regions/{region}/clusters/{cluster_id}")
    assert gets < 20, sandbox.state.counters

    listed = await call(client, "list_clusters", region=REGION)
    assert [c["id"] for c in listed["data"]["clusters"]] == [cluster["id"]]
    detail = await call(client, "get_cluster", cluster_id=cluster["id"])
    assert detail["data"]["pools"][0]["nodes"] == {"total": 3, "ready": 3}
    assert detail["data"]["cluster_url"].startswith("https://")


async def test_kubeconfig_goes_to_a_0600_file_and_stays_out_of_output_and_logs(
    session: Session,
    sandbox: SandboxServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client, runtime = session
    cluster = (await create(client, pool_size=1))["data"]
    token = "sandbox-" + cluster["id"].replace("-", "")  # the sandbox's kubeconfig credential

    answer = await call(client, "get_cluster_kubeconfig", cluster_id=cluster["id"])
    data = answer["data"]
    path = Path(data["path"])
    assert path.parent == runtime.settings.secrets_dir
    mode, text = secret_file(path)
    assert mode == 0o600 and token in text
    assert data["server"] == f"https://{cluster['id']}.api.k8s.fr-par.scw.cloud:6443"
    assert data["context"] == "admin@prod"
    assert "content" not in data and token not in str(answer)

    chosen = tmp_path / "kube" / "prod.yaml"
    chosen.parent.mkdir()
    inline = await call(
        client,
        "get_cluster_kubeconfig",
        cluster_id=cluster["id"],
        path=str(chosen),
        include_content=True,
    )
    assert inline["data"]["path"] == str(chosen) and token in inline["data"]["content"]
    assert secret_file(chosen)[0] == 0o600

    logged = log_text(caplog.records)
    # The one place it may appear: the MCP SDK's own debug echo of the answer asked inline.
    logged = logged.replace(inline["data"]["content"], "")
    assert token not in logged
    assert token.encode() not in stored_bytes(runtime.settings.data_dir)


async def test_cluster_that_ends_in_error_fails_with_what_to_do(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    answer = await create(client, name="broken", tags=["sandbox:fail=error"])

    assert answer["status"] == "error", answer
    message = answer["message"]
    assert "'error'" in message and "delete_cluster" in message, message
    assert answer["details"]["job"]["state"] == "failed"
    assert sandbox.state.created("cluster") == 1


async def test_cluster_stuck_past_the_deadline_fails(
    make_settings: Callable[..., Settings],
) -> None:
    # A slow sandbox (creating lasts 9 s) against a 40 ms deadline once scaled: the job
    # gives up whatever the machine's load, without waiting for the cluster.
    with SandboxServer(speed=10, with_s3=False) as slow:
        settings = make_settings(
            SCW_API_URL=slow.api_url,
            SCW_MCP_WAIT_BUDGET_S="20",
            SCW_MCP_POLL_SCALE=POLL_SCALE,
            SCW_MCP_CLUSTER_DEADLINE_S="40",
        )
        async with sandbox_session(settings, slow.api_url) as (client, _):
            answer = await create(client, name="slow")
    assert answer["status"] == "error", answer
    assert "gave up" in answer["message"] and "delete_cluster" in answer["message"]


async def test_bad_arguments_are_refused_before_any_change(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    cases: list[tuple[dict[str, Any], str]] = [
        ({"version": "1.20.0"}, "1.35.3"),  # the message lists the versions offered
        ({"node_type": "XXL-9000"}, "node_type 'XXL-9000' is not offered"),
        ({"zone": "nl-ams-1"}, "not in region"),
        ({"pool_size": 3, "max_size": 2, "autoscaling": True}, "min_size"),
        ({"name": "bad name!"}, "name"),
        ({"tags": ["job:mine"]}, "reserved"),
    ]
    for args, words in cases:
        answer = await create(client, **args)
        assert answer["status"] == "error" and words in answer["message"], (args, answer)
    assert sandbox.state.calls("POST") == 0


async def test_cancel_during_creation_names_what_exists(
    make_settings: Callable[..., Settings],
) -> None:
    with SandboxServer(speed=20, with_s3=False) as slow:  # creating lasts 4.5 s
        settings = make_settings(
            SCW_API_URL=slow.api_url, SCW_MCP_WAIT_BUDGET_S="0", SCW_MCP_POLL_SCALE="0.01"
        )
        async with sandbox_session(settings, slow.api_url) as (client, runtime):
            started = await create(client)
            job_id = started["data"]["job_id"]

            async def cluster_created() -> bool:
                return "cluster_id" in (await runtime.store.get(job_id)).checkpoint

            await until(cluster_created)
            cancelled = await call(client, "cancel_job", job_id=job_id)
            assert cancelled["status"] == "success", cancelled
            status = await call(client, "get_job_status", job_id=job_id, wait_s=5)

        data = status["data"]
        assert data["state"] == "cancelled", data
        # A waiting job is cancelled by the store at once: its result is the checkpoint;
        # a running one stops at its next step and the operation words the result.
        result = data["result"]
        created = result.get("created") or result["checkpoint"]
        (cluster,) = slow.state.all("cluster")
        assert created["cluster_id"] == cluster.id
        assert created["private_network_id"] == cluster.data["private_network_id"]
        assert created.get("private_network_created_by_job", created.get("network_created"))


async def test_delete_cluster_with_its_network(session: Session, sandbox: SandboxServer) -> None:
    client, _ = session
    cluster = (await create(client, pool_size=1))["data"]
    answer = await call(
        client,
        "delete_cluster",
        cluster_id=cluster["id"],
        with_additional_resources=True,
        confirm=True,
    )
    assert answer["status"] == "success", answer
    assert answer["data"]["deleted"] == cluster["id"]
    assert answer["data"]["private_network_deleted"] is True
    assert sandbox.state.all("cluster") == [] and sandbox.state.all("private_network") == []
    again = await call(client, "get_cluster", cluster_id=cluster["id"])
    assert again["status"] == "error" and "not found" in again["message"]


async def test_given_private_network_is_used_and_kept(
    session: Session, sandbox: SandboxServer
) -> None:
    client, _ = session
    network = await call(client, "create_private_network", name="shared")
    pn_id = network["data"]["id"]
    cluster = (await create(client, pool_size=1, private_network_id=pn_id))["data"]
    assert cluster["private_network_id"] == pn_id
    assert cluster["private_network_created"] is False
    assert sandbox.state.created("private_network") == 1
