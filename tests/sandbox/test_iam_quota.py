"""IAM v1alpha1 quota through the official SDK: the limits the sandbox enforces, by name."""

from __future__ import annotations

import httpx
import pytest
import scaleway
from scaleway.iam.v1alpha1 import IamV1Alpha1API
from scaleway_core.api import ScalewayException

from sandbox.server import SandboxServer


def test_a_zonal_quotum_gives_the_limit_of_each_zone(
    sb: SandboxServer, client: scaleway.Client
) -> None:
    sb.state.quotas["server"] = 7
    try:
        quotum = IamV1Alpha1API(client).get_quotum(quotum_name="instances_servers_per_zone")
    finally:
        sb.state.quotas["server"] = 100
    assert quotum.locality_type == "zone" and quotum.unit == "resource"
    by_zone = {limit.zone: limit.limit for limit in quotum.limits}
    assert by_zone["fr-par-1"] == 7 and by_zone["nl-ams-2"] == 7


def test_quota_are_listed_and_filtered_by_name(client: scaleway.Client) -> None:
    api = IamV1Alpha1API(client)
    names = {q.name for q in api.list_quota_all()}
    assert {"instances_servers_per_zone", "private_networks", "k8s_clusters"} <= names
    (networks,) = api.list_quota_all(quotum_names=["private_networks"])
    assert networks.locality_type == "global"
    assert networks.limits[0].global_ and networks.limits[0].limit == 100
    with pytest.raises(ScalewayException) as missing:
        api.get_quotum(quotum_name="gpu_h100")
    assert missing.value.status_code == 404


def test_a_zonal_quota_counts_only_the_servers_of_that_zone(
    sb: SandboxServer, http: httpx.Client
) -> None:
    sb.state.quotas["server"] = 1
    body = {"commercial_type": "DEV1-S", "image": "ubuntu_jammy"}
    try:
        assert http.post("/instance/v1/zones/fr-par-1/servers", json=body).status_code == 201
        assert http.post("/instance/v1/zones/fr-par-2/servers", json=body).status_code == 201
        full = http.post("/instance/v1/zones/fr-par-1/servers", json=body)
    finally:
        sb.state.quotas["server"] = 100
    assert full.status_code == 403
    assert full.json()["details"] == [
        {"resource": "instances_servers_per_zone", "quota": 1, "current": 1}
    ]
