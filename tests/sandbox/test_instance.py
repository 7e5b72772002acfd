"""Instance v1 through the official SDK and raw HTTP: shapes, lifecycles, pagination, NICs."""

from __future__ import annotations

import httpx
import pytest
import scaleway
from scaleway.instance.v1 import VolumeServerTemplate
from scaleway.instance.v1.custom_api import InstanceUtilsV1API
from scaleway.vpc.v2 import VpcV2API
from scaleway_core.api import ScalewayException

from sandbox.lifecycle import ManualClock
from sandbox.server import SandboxServer

from .conftest import ZERO


def test_create_server_answers_201_stopped_with_location(http: httpx.Client) -> None:
    r = http.post(
        "/instance/v1/zones/fr-par-1/servers",
        json={
            "commercial_type": "DEV1-S",
            "image": "ubuntu_jammy",
            "name": "web-1",
            "project": ZERO,
            "tags": ["job:abc"],
        },
    )
    assert r.status_code == 201
    server = r.json()["server"]
    assert r.headers["location"].endswith(f"/instance/v1/zones/fr-par-1/servers/{server['id']}")
    assert r.headers["x-scaleway-sandbox"] == "true"
    assert ", " in r.text  # Instance v1 answers Python-style JSON separators
    assert server["state"] == "stopped" and server["state_detail"] == ""
    assert server["allowed_actions"] == ["poweron", "backup"]
    assert server["location"] is None
    assert server["image"]["name"] == "Ubuntu 22.04 Jammy Jellyfish"
    assert server["volumes"]["0"]["volume_type"] == "sbs_volume"
    assert server["public_ip"]["address"] == server["public_ips"][0]["address"]
    assert server["creation_date"].endswith("+00:00")


def test_sdk_create_get_update_list_server(client: scaleway.Client) -> None:
    api = InstanceUtilsV1API(client)
    created = api.create_server(
        commercial_type="DEV1-M", image="debian_bookworm", name="db-host", tags=["job:1", "team"]
    ).server
    assert created is not None and created.commercial_type == "DEV1-M"
    fetched = api.get_server(server_id=created.id).server
    assert fetched is not None and fetched.name == "db-host" and fetched.tags == ["job:1", "team"]
    updated = api._update_server(server_id=created.id, tags=["job:1", "renamed"]).server
    assert updated is not None and updated.tags == ["job:1", "renamed"]
    api.create_server(commercial_type="DEV1-S", image="ubuntu_noble", name="other")
    listed = api.list_servers(tags=["job:1"])
    assert [s.id for s in listed.servers] == [created.id]
    assert int(listed.total_count) == 1
    assert {s.name for s in api.list_servers(name="host").servers} == {"db-host"}
    assert api.list_servers(project="11111111-1111-1111-1111-111111111111").servers == []


def test_list_servers_paginates_with_total_and_link_headers(http: httpx.Client) -> None:
    for i in range(3):
        http.post(
            "/instance/v1/zones/fr-par-1/servers",
            json={"commercial_type": "DEV1-S", "image": "ubuntu_jammy", "name": f"s{i}"},
        )
    r = http.get(
        "/instance/v1/zones/fr-par-1/servers",
        params={"page": 1, "per_page": 2, "order": "creation_date_desc"},
    )
    assert r.headers["x-total-count"] == "3"
    assert set(r.json()) == {"servers"}
    assert [s["name"] for s in r.json()["servers"]] == ["s2", "s1"]
    assert r.headers["link"] == (
        '</servers?page=2&per_page=2&order=creation_date_desc>; rel="next", '
        '</servers?page=2&per_page=2&order=creation_date_desc>; rel="last"'
    )
    page2 = http.get("/instance/v1/zones/fr-par-1/servers", params={"page": 2, "per_page": 2})
    assert [s["name"] for s in page2.json()["servers"]] == ["s0"]
    empty = http.get("/instance/v1/zones/fr-par-2/servers", params={"page": 1})
    assert empty.json() == {"servers": []} and empty.headers["x-total-count"] == "0"
    assert empty.headers["link"] == '</servers?page=0&per_page=50>; rel="last"'
    assert (
        http.get("/instance/v1/zones/fr-par-1/servers", params={"per_page": 101}).status_code == 400
    )


def test_list_servers_all_walks_every_page(client: scaleway.Client, http: httpx.Client) -> None:
    for i in range(5):
        http.post(
            "/instance/v1/zones/fr-par-1/servers",
            json={"commercial_type": "DEV1-S", "image": "ubuntu_jammy", "name": f"p{i}"},
        )
    servers = InstanceUtilsV1API(client).list_servers_all(per_page=2)
    assert sorted(s.name for s in servers) == [f"p{i}" for i in range(5)]


def _create(http: httpx.Client) -> str:
    body = {"commercial_type": "DEV1-S", "image": "ubuntu_jammy"}
    return http.post("/instance/v1/zones/fr-par-1/servers", json=body).json()["server"]["id"]


def _server(http: httpx.Client, sid: str) -> dict:
    return http.get(f"/instance/v1/zones/fr-par-1/servers/{sid}").json()["server"]


def test_power_cycle_follows_real_states_and_timings(
    mhttp: httpx.Client, clock: ManualClock
) -> None:
    sid = _create(mhttp)
    action = mhttp.post(
        f"/instance/v1/zones/fr-par-1/servers/{sid}/action", json={"action": "poweron"}
    )
    assert action.status_code == 202
    assert action.json()["task"]["status"] == "pending"
    s = _server(mhttp, sid)
    assert (s["state"], s["state_detail"]) == ("starting", "allocating node")
    clock.advance(5.0)
    s = _server(mhttp, sid)
    assert (s["state"], s["state_detail"]) == ("running", "booting kernel")
    assert s["location"]["zone_id"] == "fr-par-1"
    assert s["allowed_actions"] == ["poweroff", "terminate", "reboot", "stop_in_place", "backup"]
    refused = mhttp.delete(f"/instance/v1/zones/fr-par-1/servers/{sid}")
    assert refused.status_code == 400
    assert refused.json() == {
        "type": "invalid_request_error",
        "message": "server should be stopped",
    }
    mhttp.post(f"/instance/v1/zones/fr-par-1/servers/{sid}/action", json={"action": "poweroff"})
    clock.advance(35.0)
    assert _server(mhttp, sid)["state"] == "stopping"
    clock.advance(1.0)
    assert _server(mhttp, sid)["state"] == "stopped"
    deleted = mhttp.delete(f"/instance/v1/zones/fr-par-1/servers/{sid}")
    assert deleted.status_code == 204 and deleted.content == b""
    gone = mhttp.get(f"/instance/v1/zones/fr-par-1/servers/{sid}")
    assert gone.status_code == 404
    assert gone.json() == {
        "type": "not_found",
        "message": "resource is not found",
        "resource": "instance_server",
        "resource_id": sid,
    }


def test_action_in_wrong_state_is_refused(mhttp: httpx.Client) -> None:
    sid = _create(mhttp)
    url = f"/instance/v1/zones/fr-par-1/servers/{sid}/action"
    r = mhttp.post(url, json={"action": "terminate"})
    assert r.status_code == 400 and r.json()["message"] == "server should be running"
    bad = mhttp.post(url, json={"action": "fly"})
    assert bad.status_code == 400 and bad.json()["details"][0]["argument_name"] == "action"


def test_stop_in_place_and_terminate(
    mhttp: httpx.Client, clock: ManualClock, msb: SandboxServer
) -> None:
    base = "/instance/v1/zones/fr-par-1"
    server = mhttp.post(
        f"{base}/servers", json={"commercial_type": "DEV1-S", "image": "ubuntu_jammy"}
    ).json()["server"]
    sid, volume_id = server["id"], server["volumes"]["0"]["id"]
    ip_id = server["public_ip"]["id"]
    mhttp.post(f"{base}/servers/{sid}/action", json={"action": "poweron"})
    clock.advance(5)
    mhttp.post(f"{base}/servers/{sid}/action", json={"action": "stop_in_place"})
    assert _server(mhttp, sid)["state_detail"] == "stopping in place"
    clock.advance(43)
    assert _server(mhttp, sid)["state"] == "stopped in place"
    mhttp.post(f"{base}/servers/{sid}/action", json={"action": "terminate"})
    s = _server(mhttp, sid)
    assert (s["state"], s["state_detail"]) == ("stopping", "terminating")
    clock.advance(5)
    assert mhttp.get(f"{base}/servers/{sid}").status_code == 404
    # terminate takes the volumes; the IP stays, detached, for the caller to delete
    assert mhttp.get(f"/block/v1alpha1/zones/fr-par-1/volumes/{volume_id}").status_code == 404
    ip = mhttp.get(f"{base}/ips/{ip_id}").json()["ip"]
    assert ip["server"] is None and ip["state"] == "detached"
    assert mhttp.delete(f"{base}/ips/{ip_id}").status_code == 204
    assert msb.state.created("server") == 1


def test_deleted_server_leaves_volumes_and_ips_to_delete(
    client: scaleway.Client, http: httpx.Client
) -> None:
    api = InstanceUtilsV1API(client)
    server = api.create_server(commercial_type="DEV1-S", image="ubuntu_jammy").server
    assert server is not None and server.public_ip is not None
    local = api.create_server(
        commercial_type="DEV1-S",
        image="ubuntu_jammy",
        volumes={"0": VolumeServerTemplate(volume_type="l_ssd", size=20_000_000_000)},
        dynamic_ip_required=False,
    ).server
    assert local is not None and local.public_ip is None
    sbs_id, local_id = server.volumes["0"].id, local.volumes["0"].id
    with pytest.raises(ScalewayException) as refused:
        api.delete_volume(volume_id=local_id)
    assert refused.value.status_code == 412
    api.delete_server(server_id=server.id)
    api.delete_server(server_id=local.id)
    # SBS volumes are not Instance volumes (404 instance_volume), they live in Block
    sbs = http.get(f"/instance/v1/zones/fr-par-1/volumes/{sbs_id}")
    assert sbs.status_code == 404 and sbs.json()["resource"] == "instance_volume"
    block = http.get(f"/block/v1alpha1/zones/fr-par-1/volumes/{sbs_id}").json()
    assert block["status"] == "available" and block["references"] == []
    assert http.delete(f"/block/v1alpha1/zones/fr-par-1/volumes/{sbs_id}").status_code == 204
    assert api.get_volume(volume_id=local_id).volume.server is None
    api.delete_volume(volume_id=local_id)
    assert api.list_volumes().volumes == []
    api.delete_ip(ip=server.public_ip.id)
    assert api.list_ips().ips == []


def test_reserved_ip_attaches_at_create(client: scaleway.Client) -> None:
    api = InstanceUtilsV1API(client)
    ip = api.create_ip(tags=["job:ip"]).ip
    assert ip is not None and ip.state == "detached"
    server = api.create_server(
        commercial_type="DEV1-S", image="ubuntu_jammy", public_ips=[ip.id]
    ).server
    assert server is not None and [i.id for i in server.public_ips] == [ip.id]
    assert api.get_ip(ip=ip.id).ip.server.id == server.id
    assert [i.id for i in api.list_ips(tags=["job:ip"]).ips] == [ip.id]


def test_products_availability_and_images(client: scaleway.Client) -> None:
    api = InstanceUtilsV1API(client)
    types = api.list_servers_types().servers
    assert {"DEV1-S", "DEV1-M", "PLAY2-NANO", "GP1-XS"} <= set(types)
    assert types["DEV1-S"].ncpus == 2 and types["DEV1-S"].ram == 2 * 1024**3
    availability = api.get_server_types_availability(zone="nl-ams-3").servers
    assert availability["GP1-XS"].availability == "shortage"
    assert availability["DEV1-S"].availability == "available"
    images = api.list_images(name="Noble").images
    assert images and all(i.name.startswith("Ubuntu 24.04") for i in images)
    assert api.get_image(image_id=images[0].id).image.zone == "fr-par-1"


def test_bad_server_input(http: httpx.Client) -> None:
    base = "/instance/v1/zones/fr-par-1/servers"
    missing = http.post(base, json={"name": "x"})
    assert missing.status_code == 400
    assert {d["argument_name"] for d in missing.json()["details"]} == {"commercial_type", "image"}
    assert all(d["reason"] == "required" for d in missing.json()["details"])
    wrong = http.post(base, json={"commercial_type": 5, "image": "ubuntu_jammy"})
    assert wrong.json()["details"][0] == {
        "argument_name": "commercial_type",
        "reason": "format",
        "help_message": "must be a string",
    }
    arch = http.post(
        base,
        json={"commercial_type": "COPARM1-2C-8G", "image": "2a1a6f4c-0000-4000-8000-000000000000"},
    )
    assert arch.status_code == 404 and arch.json()["resource"] == "instance_image"
    label = http.post(base, json={"commercial_type": "PLAY2-NANO", "image": "windows_xp"})
    assert label.status_code == 400 and label.json()["details"][0]["argument_name"] == "image"
    no_local = http.post(
        base,
        json={
            "commercial_type": "PLAY2-NANO",
            "image": "ubuntu_jammy",
            "volumes": {"0": {"volume_type": "l_ssd"}},
        },
    )
    assert no_local.status_code == 400


def test_private_nic_on_stopped_then_running_server(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api, vpc = InstanceUtilsV1API(mclient), VpcV2API(mclient)
    pn = vpc.create_private_network(name="pn", default_route_propagation_enabled=False)
    stopped = api.create_server(commercial_type="DEV1-S", image="ubuntu_jammy").server
    running = api.create_server(commercial_type="DEV1-S", image="ubuntu_jammy").server
    assert stopped is not None and running is not None
    api.server_action(server_id=running.id, action="poweron")
    clock.advance(5)
    nic = api.create_private_nic(
        server_id=stopped.id, private_network_id=pn.id, tags=["job:n"]
    ).private_nic
    assert nic is not None and nic.state == "available"
    hot = api.create_private_nic(server_id=running.id, private_network_id=pn.id).private_nic
    assert hot is not None and hot.state == "syncing"
    clock.advance(56)
    assert api.get_private_nic(server_id=running.id, private_nic_id=hot.id).private_nic.state == (
        "available"
    )
    listed = api.list_private_ni_cs(server_id=stopped.id, tags=["job:n"])
    assert [n.id for n in listed.private_nics] == [nic.id] and int(listed.total_count) == 1
    assert api.get_server(server_id=stopped.id).server.private_nics[0].id == nic.id
    on_pn = api.list_servers(private_network=pn.id).servers
    assert {s.id for s in on_pn} == {stopped.id, running.id}
    with pytest.raises(ScalewayException) as dup:
        api.create_private_nic(server_id=stopped.id, private_network_id=pn.id)
    assert dup.value.status_code == 409
    api.delete_private_nic(server_id=stopped.id, private_nic_id=nic.id)
    with pytest.raises(ScalewayException) as gone:
        api.get_private_nic(server_id=stopped.id, private_nic_id=nic.id)
    assert gone.value.response.json()["resource"] == "instance_private_nic"


def test_sdk_waits_for_a_running_server(client: scaleway.Client) -> None:
    api = InstanceUtilsV1API(client)
    server = api.create_server(commercial_type="PLAY2-NANO", image="ubuntu_noble").server
    assert server is not None
    api.server_action(server_id=server.id, action="poweron")
    waited = api.wait_instance_server(server_id=server.id, zone="fr-par-1").server
    assert waited is not None and waited.state == "running"


def test_fail_tag_locks_server_at_poweron(mhttp: httpx.Client, clock: ManualClock) -> None:
    base = "/instance/v1/zones/fr-par-1/servers"
    sid = mhttp.post(
        base,
        json={
            "commercial_type": "DEV1-S",
            "image": "ubuntu_jammy",
            "tags": ["sandbox:fail=locked"],
        },
    ).json()["server"]["id"]
    mhttp.post(f"{base}/{sid}/action", json={"action": "poweron"})
    clock.advance(5)
    assert _server(mhttp, sid)["state"] == "locked"
