"""export_terraform through a real MCP client: the file parses, every attribute matches the
resource Scaleway returns, import blocks name every resource, and no secret is written."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import hcl2
import pytest
from mcp import Client

from mcp_front.runtime import open_runtime
from mcp_front.server import build_server
from sandbox.server import SandboxServer
from tests.e2e.long_jobs_support import (  # noqa: F401 - fixtures
    Session,
    body,
    call,
    groups_session_fixture,
    sandbox_fixture,
)

pytestmark = pytest.mark.anyio
session = groups_session_fixture("default,lb,planning,batch")
GB = 1000**3


def _plain(value: Any) -> Any:
    """A python-hcl2 value without its kept quotes (``'"x"'`` -> ``x``)."""
    if isinstance(value, str) and value.startswith('"'):
        return json.loads(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items() if k != "__is_block__"}
    return value


def _text(path: Path) -> str:
    return path.read_text("utf-8")


def _parse(path: Path) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, str], set[str]]:
    parsed = _plain(hcl2.loads(path.read_text("utf-8")))
    resources = {
        (rtype, name): attrs
        for block in parsed["resource"]
        for rtype, named in block.items()
        for name, attrs in named.items()
    }
    imports = {i["to"].strip("${}"): i["id"] for i in parsed["import"]}
    variables = {name for block in parsed.get("variable", []) for name in block}
    return resources, imports, variables


async def _ok(client: Any, tool: str, **args: Any) -> dict[str, Any]:
    answer = await call(client, tool, **args)
    assert answer["status"] == "success", answer
    return answer


async def test_export_matches_each_source_object_with_imports_and_no_secret(
    session: Session,
) -> None:
    client, runtime = session
    scw = runtime.services.scaleway
    assert scw is not None
    server = (await _ok(client, "create_instance", name="web", commercial_type="DEV1-S"))["data"]
    lb = (await _ok(client, "create_load_balancer", name="front", type="LB-S"))["data"]
    pn = (await _ok(client, "create_private_network", name="back"))["data"]
    db = await _ok(client, "create_database", name="orders", node_type="db-dev-s")
    cluster = await _ok(client, "create_cluster", name="prod", node_type="DEV1-M", pool_size=2)
    gone = str(uuid.uuid4())

    answer = await _ok(
        client,
        "export_terraform",
        resources=[
            {"kind": "server", "id": server["id"]},
            {"kind": "load_balancer", "id": lb["id"]},
            {"kind": "private_network", "id": pn["id"]},
            {"kind": "database", "id": db["data"]["id"]},
            {"kind": "server", "id": gone},
        ],
        job_id=cluster["job"]["id"],
    )
    data = answer["data"]
    path = Path(data["path"])
    assert path.suffix == ".tf" and 'resource \\"scaleway' not in json.dumps(answer)
    assert [m["id"] for m in data["missing"]] == [gone]
    assert "was not found" in data["missing"][0]["error"]
    resources, imports, variables = _parse(path)

    src = (
        await scw.call_idempotent(scw.instance.get_server, zone="fr-par-1", server_id=server["id"])
    ).server
    assert resources[("scaleway_instance_server", "web")] == {
        "name": "web",
        "type": src.commercial_type,
        "image": src.image.id,
        "zone": "fr-par-1",
        "project_id": src.project,
        "tags": list(src.tags),
        "state": "started",
    }
    lb_src = await scw.call_idempotent(scw.lb.get_lb, zone="fr-par-1", lb_id=lb["id"])
    assert resources[("scaleway_lb", "front")] == {
        "name": "front",
        "type": lb_src.type_,
        "zone": "fr-par-1",
        "project_id": lb_src.project_id,
        "ip_ids": [f"fr-par-1/{ip.id}" for ip in lb_src.ip],
        "tags": list(lb_src.tags),
    }
    pn_src = await scw.call_idempotent(
        scw.vpc.get_private_network, region="fr-par", private_network_id=pn["id"]
    )
    assert resources[("scaleway_vpc_private_network", "back")] == {
        "name": "back",
        "region": "fr-par",
        "project_id": pn_src.project_id,
        "vpc_id": f"fr-par/{pn_src.vpc_id}",
        "tags": list(pn_src.tags),
    }
    db_src = await scw.call_idempotent(
        scw.rdb.get_instance, region="fr-par", instance_id=db["data"]["id"]
    )
    assert resources[("scaleway_rdb_instance", "orders")] == {
        "name": "orders",
        "node_type": db_src.node_type,
        "engine": db_src.engine,
        "is_ha_cluster": db_src.is_ha_cluster,
        "volume_type": str(db_src.volume.type_),
        "volume_size_in_gb": db_src.volume.size // GB,
        "disable_backup": db_src.backup_schedule.disabled,
        "region": "fr-par",
        "project_id": db_src.project_id,
        "tags": list(db_src.tags),
        "password": "${var.orders_password}",
    }
    assert variables == {"orders_password"}
    k8s = await scw.call_idempotent(
        scw.k8s.get_cluster, region="fr-par", cluster_id=cluster["data"]["id"]
    )
    exported = resources[("scaleway_k8s_cluster", "prod")]
    assert exported["version"] == k8s.version and exported["cni"] == str(k8s.cni)
    assert exported["delete_additional_resources"] is False
    pools = await scw.call_idempotent(scw.k8s.list_pools_all, region="fr-par", cluster_id=k8s.id)
    pool = resources[("scaleway_k8s_pool", f"prod_{pools[0].name}")]
    assert pool["cluster_id"] == "${scaleway_k8s_cluster.prod.id}"
    assert (pool["node_type"], pool["size"]) == (pools[0].node_type, pools[0].size)

    assert imports == {
        "scaleway_instance_server.web": f"fr-par-1/{server['id']}",
        "scaleway_lb.front": f"fr-par-1/{lb['id']}",
        "scaleway_vpc_private_network.back": f"fr-par/{pn['id']}",
        "scaleway_rdb_instance.orders": f"fr-par/{db['data']['id']}",
        "scaleway_k8s_cluster.prod": f"fr-par/{k8s.id}",
        f"scaleway_k8s_pool.prod_{pools[0].name}": f"fr-par/{pools[0].id}",
    }
    assert _text(Path(db["data"]["credentials"]["password_file"])).strip() not in _text(path)


async def test_nothing_readable_is_an_error_and_files_stay_under_the_roots(
    session: Session, tmp_path: Path
) -> None:
    client, _ = session
    gone = str(uuid.uuid4())
    answer = await call(client, "export_terraform", resources=[{"kind": "cluster", "id": gone}])
    assert answer["status"] == "error" and gone in json.dumps(answer["details"])
    outside = await call(
        client,
        "export_terraform",
        resources=[{"kind": "cluster", "id": gone}],
        path="/etc/scaleway.tf",
    )
    assert outside["status"] == "error" and "path" in outside["message"]


async def test_buckets_export_with_their_versioning_and_a_gone_bucket_is_reported(
    make_settings: Any,
) -> None:
    with SandboxServer(speed=1000) as sandbox:
        settings = make_settings(
            SCW_API_URL=sandbox.api_url,
            SCW_S3_ENDPOINT_URL=sandbox.s3_url,
            SCW_MCP_TOOL_GROUPS="default,planning",
        )
        async with open_runtime(settings) as runtime, Client(build_server(runtime)) as client:
            made = await _ok(client, "create_bucket", name="tf-logs", versioning=True)
            plain = await _ok(client, "create_bucket", name="tf-plain")
            answer = await _ok(
                client,
                "export_terraform",
                resources=[
                    {"kind": "bucket", "id": "tf-plain"},
                    {"kind": "bucket", "id": "tf-gone"},
                ],
                job_id=made["job"]["id"],
            )
            assert plain["data"]["created"] is True
            data = answer["data"]
            assert [m["id"] for m in data["missing"]] == ["tf-gone"]
            resources, imports, _ = _parse(Path(data["path"]))
            assert resources[("scaleway_object_bucket", "tf-logs")] == {
                "name": "tf-logs",
                "region": "fr-par",
                "versioning": [{"enabled": True}],
            }
            assert resources[("scaleway_object_bucket", "tf-plain")]["versioning"] == [
                {"enabled": False}
            ]
            assert imports["scaleway_object_bucket.tf-logs"] == "fr-par/tf-logs"
            bad = await call(client, "export_terraform", resources=[{"kind": "bucket", "id": "A"}])
            assert bad["status"] == "error" and "id" in bad["message"]


async def test_a_batch_job_exports_what_each_of_its_children_created(session: Session) -> None:
    client, _ = session
    template = {"commercial_type": "DEV1-S", "image": "ubuntu_noble"}
    args = {"tool": "create_instance", "template": template, "count": 2, "name_pattern": "tf-{n}"}
    made = body(await client.call_tool("create_batch", args))
    assert made["job"]["state"] == "succeeded", made
    answer = await _ok(client, "export_terraform", job_id=made["job"]["id"])
    resources, imports, _ = _parse(Path(answer["data"]["path"]))
    servers = sorted(
        r["name"] for (kind, _), r in resources.items() if kind == "scaleway_instance_server"
    )
    assert servers == ["tf-1", "tf-2"]
    assert len([a for a in imports if a.startswith("scaleway_instance_server.")]) == 2
