"""Kapsule v1 through the official SDK: cluster and pool lifecycles, kubeconfig, versions."""

from __future__ import annotations

import base64

import httpx
import pytest
import scaleway
from scaleway.k8s.v1 import K8SV1API, CreateClusterRequestPoolConfig
from scaleway.vpc.v2 import VpcV2API
from scaleway_core.api import ScalewayException

from sandbox.lifecycle import ManualClock
from sandbox.server import SandboxServer


def pool_config(name: str = "default", size: int = 1) -> CreateClusterRequestPoolConfig:
    return CreateClusterRequestPoolConfig(
        name=name,
        node_type="DEV1-M",
        autoscaling=False,
        size=size,
        container_runtime="unknown_runtime",
        autohealing=False,
        tags=[],
        kubelet_args={},
        zone="",
        root_volume_type="default_volume_type",
        public_ip_disabled=False,
        labels={},
        taints=[],
        startup_taints=[],
        user_data={},
    )


def create(api: K8SV1API, pools: list[CreateClusterRequestPoolConfig], **kw: object):
    return api.create_cluster(
        type_="", description="", version="1.34.6", cni="cilium", pools=pools, **kw
    )  # type: ignore[arg-type]


def test_cluster_with_pool_goes_creating_ready_then_pool_ready(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api = K8SV1API(mclient)
    cluster = create(api, [pool_config(size=2)], name="demo", tags=["job:k"])
    assert cluster.status == "creating" and cluster.type_ == "kapsule"
    assert cluster.cluster_url == f"https://{cluster.id}.api.k8s.fr-par.scw.cloud:6443"
    assert cluster.private_network_id  # Kapsule creates one when none is given
    pools = api.list_pools(cluster_id=cluster.id)
    assert pools.total_count == 1
    pool = pools.pools[0]
    assert (pool.status, pool.node_type, pool.container_runtime, pool.root_volume_type) == (
        "scaling",
        "dev1_m",
        "containerd",
        "l_ssd",
    )
    clock.advance(89)
    assert api.get_cluster(cluster_id=cluster.id).status == "creating"
    clock.advance(1)
    assert api.get_cluster(cluster_id=cluster.id).status == "ready"
    assert api.get_pool(pool_id=pool.id).status == "scaling"
    nodes = api.list_nodes(cluster_id=cluster.id).nodes
    assert len(nodes) == 2 and {n.status for n in nodes} == {"creating"}
    clock.advance(157)
    assert api.get_pool(pool_id=pool.id).status == "ready"
    assert {n.status for n in api.list_nodes(cluster_id=cluster.id).nodes} == {"ready"}


def test_cluster_without_pool_requires_one(mclient: scaleway.Client, clock: ManualClock) -> None:
    api = K8SV1API(mclient)
    cluster = create(api, [])
    clock.advance(5)
    assert api.get_cluster(cluster_id=cluster.id).status == "pool_required"
    pool = api.create_pool(
        cluster_id=cluster.id,
        node_type="PLAY2-NANO",
        autoscaling=False,
        size=1,
        autohealing=False,
        public_ip_disabled=False,
        name="p1",
    )
    assert pool.status == "scaling" and pool.root_volume_type == "sbs_15k"
    assert api.get_cluster(cluster_id=cluster.id).status == "ready"
    with pytest.raises(ScalewayException) as dup:
        api.create_pool(
            cluster_id=cluster.id,
            node_type="PLAY2-NANO",
            autoscaling=False,
            size=1,
            autohealing=False,
            public_ip_disabled=False,
            name="p1",
        )
    assert dup.value.status_code == 409


def test_delete_cluster_deleting_then_404(
    mclient: scaleway.Client, mhttp: httpx.Client, clock: ManualClock
) -> None:
    api = K8SV1API(mclient)
    cluster = create(api, [pool_config()])
    url = f"/k8s/v1/regions/fr-par/clusters/{cluster.id}"
    missing_flag = mhttp.delete(url)
    assert missing_flag.status_code == 400
    assert missing_flag.json()["details"][0]["argument_name"] == "with_additional_resources"
    deleted = mhttp.delete(url, params={"with_additional_resources": "true"})
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleting"
    pool_id = api.list_pools(cluster_id=cluster.id).pools[0].id
    assert api.get_pool(pool_id=pool_id).status == "deleting"
    clock.advance(75)
    gone = mhttp.get(url)
    assert gone.status_code == 404
    assert gone.json() == {
        "message": "resource is not found",
        "resource": "cluster",
        "resource_id": cluster.id,
        "type": "not_found",
    }
    assert mhttp.get(f"/k8s/v1/regions/fr-par/pools/{pool_id}").json()["resource"] == "pool"
    # with_additional_resources=true removed the (empty) auto-created private network
    pn = mhttp.get(f"/vpc/v2/regions/fr-par/private-networks/{cluster.private_network_id}")
    assert pn.status_code == 404


def test_cluster_in_given_private_network_keeps_it(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api, vpc = K8SV1API(mclient), VpcV2API(mclient)
    pn = vpc.create_private_network(name="k8s-pn", default_route_propagation_enabled=False)
    cluster = create(api, [pool_config()], private_network_id=pn.id)
    assert cluster.private_network_id == pn.id
    assert [c.id for c in api.list_clusters(private_network_id=pn.id).clusters] == [cluster.id]
    api.delete_cluster(cluster_id=cluster.id, with_additional_resources=False)
    clock.advance(75)
    assert vpc.get_private_network(private_network_id=pn.id).id == pn.id


def test_sdk_waits_for_cluster_and_reads_kubeconfig(client: scaleway.Client) -> None:
    api = K8SV1API(client)
    cluster = create(api, [pool_config()], name="kube")
    ready = api.wait_for_cluster(cluster_id=cluster.id)
    assert ready.status == "ready"
    kubeconfig = api._get_cluster_kube_config(cluster_id=cluster.id)
    assert kubeconfig.name == "kubeconfig" and kubeconfig.content_type == "application/octet-stream"
    text = base64.b64decode(kubeconfig.content).decode()
    assert f"server: https://{cluster.id}.api.k8s.fr-par.scw.cloud:6443" in text
    assert "current-context: admin@kube" in text and "REDACTED_TOKEN" not in text
    redacted = api._get_cluster_kube_config(cluster_id=cluster.id, redacted=True)
    assert "token: REDACTED_TOKEN" in base64.b64decode(redacted.content).decode()


def test_list_clusters_filters_and_versions(client: scaleway.Client, http: httpx.Client) -> None:
    api = K8SV1API(client)
    a = create(api, [pool_config()], name="alpha", tags=["job:a"])
    create(api, [pool_config()], name="beta")
    assert [c.id for c in api.list_clusters(name="alp").clusters] == [a.id]
    body = http.get(
        "/k8s/v1/regions/fr-par/clusters",
        params={"order_by": "created_at_asc", "page": 1, "status": "unknown"},
    ).json()
    assert body["total_count"] == 2 and "x-total-count" not in body
    tagged = http.get("/k8s/v1/regions/fr-par/clusters", params={"tags": "job:a"}).json()
    assert [c["id"] for c in tagged["clusters"]] == [a.id]
    paged = api.list_clusters(page=2, page_size=1)
    assert paged.total_count == 2 and len(paged.clusters) == 1
    assert api.get_version(version_name="1.34.6").region == "fr-par"


def test_versions_are_current_like_the_real_api(client: scaleway.Client) -> None:
    # Real Kapsule created 1.35.3 clusters in July 2026 and offered 1.34.6 clusters an upgrade.
    api = K8SV1API(client)
    versions = [v.name for v in api.list_versions().versions]
    assert versions[:2] == ["1.35.3", "1.34.6"]
    pools = [pool_config()]
    newest = api.create_cluster(
        type_="", description="", version="1.35.3", cni="cilium", pools=pools, name="new"
    )  # type: ignore[arg-type]
    older = create(api, pools, name="older")
    assert not newest.upgrade_available and older.upgrade_available


def test_bad_cluster_input(http: httpx.Client) -> None:
    r = http.post(
        "/k8s/v1/regions/fr-par/clusters",
        json={
            "name": "x",
            "version": "0.1",
            "cni": "flannel",
            "pools": [{"name": "p", "size": "two"}],
        },
    )
    assert r.status_code == 400
    names = {d["argument_name"] for d in r.json()["details"]}
    assert names == {"version", "cni", "pools.0.node_type", "pools.0.size"}


def test_fail_tag_and_forced_status(
    msb: SandboxServer, mclient: scaleway.Client, mhttp: httpx.Client, clock: ManualClock
) -> None:
    api = K8SV1API(mclient)
    cluster = create(api, [pool_config()], tags=["sandbox:fail=locked"])
    clock.advance(90)
    assert api.get_cluster(cluster_id=cluster.id).status == "locked"
    other = create(api, [pool_config()])
    forced = mhttp.post(
        f"/_sandbox/resources/cluster/{other.id}/status", json={"status": "updating"}
    )
    assert forced.status_code == 200
    assert api.get_cluster(cluster_id=other.id).status == "updating"
    assert msb.state.created("cluster") == 2 and msb.state.created("pool") == 2
