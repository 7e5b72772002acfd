"""VPC v2, Registry v1 and Marketplace v2 through the official SDK."""

from __future__ import annotations

import httpx
import pytest
import scaleway
from scaleway.instance.v1.custom_api import InstanceUtilsV1API
from scaleway.marketplace.v2 import MarketplaceV2API
from scaleway.registry.v1 import RegistryV1API
from scaleway.vpc.v2 import VpcV2API
from scaleway_core.api import ScalewayException

from sandbox.api.registry import push_image
from sandbox.lifecycle import ManualClock
from sandbox.server import SandboxServer

from .conftest import ZERO


def test_private_network_create_get_list_delete(
    client: scaleway.Client, http: httpx.Client
) -> None:
    api = VpcV2API(client)
    pn = api.create_private_network(
        name="back", tags=["job:pn"], default_route_propagation_enabled=False
    )
    assert pn.project_id == ZERO and pn.region == "fr-par"
    assert [s.subnet.endswith("/22") for s in pn.subnets] == [True, False]
    assert pn.subnets[1].subnet.endswith("::/64")
    default = api.list_vp_cs(is_default=True).vpcs
    assert len(default) == 1 and default[0].id == pn.vpc_id and default[0].is_default
    assert default[0].private_network_count == 1
    api.create_private_network(name="front", default_route_propagation_enabled=False)
    assert [p.id for p in api.list_private_networks(tags=["job:pn", "other"]).private_networks] == [
        pn.id
    ]
    assert [p.name for p in api.list_private_networks(name="ac").private_networks] == ["back"]
    assert api.list_private_networks(vpc_id=pn.vpc_id).total_count == 2
    assert api.get_private_network(private_network_id=pn.id).name == "back"
    raw = http.post("/vpc/v2/regions/fr-par/private-networks", json={"name": "raw"})
    assert raw.status_code == 200 and raw.json()["dhcp_enabled"] is True
    assert http.delete(f"/vpc/v2/regions/fr-par/private-networks/{pn.id}").status_code == 204
    gone = http.get(f"/vpc/v2/regions/fr-par/private-networks/{pn.id}")
    assert gone.status_code == 404
    assert gone.json() == {
        "message": "resource is not found",
        "resource": "private_network",
        "resource_id": pn.id,
        "type": "not_found",
    }


def test_private_network_with_nic_cannot_be_deleted(client: scaleway.Client) -> None:
    vpc, instance = VpcV2API(client), InstanceUtilsV1API(client)
    pn = vpc.create_private_network(default_route_propagation_enabled=False)
    server = instance.create_server(commercial_type="DEV1-S", image="ubuntu_jammy").server
    assert server is not None
    instance.create_private_nic(server_id=server.id, private_network_id=pn.id)
    with pytest.raises(ScalewayException) as refused:
        vpc.delete_private_network(private_network_id=pn.id)
    assert refused.value.status_code == 412
    assert refused.value.response.json()["type"] == "precondition_failed"


def test_namespace_lifecycle_and_bare_404(
    msb: SandboxServer, mclient: scaleway.Client, mhttp: httpx.Client, clock: ManualClock
) -> None:
    api = RegistryV1API(mclient)
    ns = api.create_namespace(name="team-images", description="", is_public=False)
    assert ns.status == "ready" and ns.endpoint == "rg.fr-par.scw.cloud/team-images"
    push_image(msb.state, ns.id, "hello-world", ["latest", "v1"])
    images = api.list_images(namespace_id=ns.id)
    assert images.total_count == 1 and images.images[0].tags == ["latest", "v1"]
    image = api.get_image(image_id=images.images[0].id)
    tags = api.list_tags(image_id=image.id)
    assert tags.total_count == 2 and tags.tags[0].digest.startswith("sha256:")
    assert api.delete_tag(tag_id=tags.tags[0].id).status == "deleting"
    assert [t.name for t in api.list_tags(image_id=image.id).tags] == ["v1"]
    assert api.get_namespace(namespace_id=ns.id).image_count == 1
    assert [n.id for n in api.list_namespaces(name="team").namespaces] == [ns.id]
    deleting = api.delete_namespace(namespace_id=ns.id)
    assert deleting.status == "deleting"
    clock.advance(1)
    gone = mhttp.get(f"/registry/v1/regions/fr-par/namespaces/{ns.id}")
    assert gone.status_code == 404 and gone.json() == {"message": "Namespace was not found"}
    assert mhttp.get(f"/registry/v1/regions/fr-par/images/{image.id}").status_code == 404


def test_namespace_names_are_checked_and_unique(client: scaleway.Client) -> None:
    api = RegistryV1API(client)
    api.create_namespace(name="unique-ns", description="", is_public=False)
    with pytest.raises(ScalewayException) as dup:
        api.create_namespace(name="unique-ns", description="", is_public=False)
    assert dup.value.status_code == 409
    with pytest.raises(ScalewayException) as bad:
        api.create_namespace(name="Bad_Name", description="", is_public=False)
    assert bad.value.response.json()["details"][0]["argument_name"] == "name"


def test_push_over_admin_endpoint(client: scaleway.Client, http: httpx.Client) -> None:
    ns = RegistryV1API(client).create_namespace(name="pushed", description="", is_public=False)
    r = httpx.post(
        f"{http.base_url}/_sandbox/registry/images",
        json={"namespace_id": ns.id, "name": "app", "tags": ["1.0"]},
    )
    assert r.status_code == 201 and r.json()["tags"] == ["1.0"]


def test_marketplace_resolves_label_for_zone_and_type(client: scaleway.Client) -> None:
    api = MarketplaceV2API(client)
    found = api.list_local_images(
        image_label="ubuntu_noble", zone="fr-par-2", type_="instance_sbs"
    ).local_images
    x86 = [i for i in found if "DEV1-S" in i.compatible_commercial_types]
    assert len(x86) == 1 and x86[0].zone == "fr-par-2" and x86[0].arch == "x86_64"
    assert api.get_local_image(local_image_id=x86[0].id).label == "ubuntu_noble"
    arm = [i for i in found if "COPARM1-2C-8G" in i.compatible_commercial_types]
    assert arm[0].arch == "arm64"
    catalogue = api.list_images(include_eol=False).images
    image = next(i for i in catalogue if i.label == "debian_bookworm")
    assert api.get_image(image_id=image.id).name == "Debian Bookworm"
    server = (
        InstanceUtilsV1API(client)
        .create_server(zone="fr-par-2", commercial_type="DEV1-S", image=x86[0].id)
        .server
    )
    assert server is not None and server.image is not None and server.image.id == x86[0].id
