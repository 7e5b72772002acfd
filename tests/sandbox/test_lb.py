"""Load Balancer v1 (zoned) through the official SDK: lifecycle, backends, frontends, networks."""

from __future__ import annotations

import pytest
import scaleway
from scaleway.lb.v1 import HealthCheck, HealthCheckHttpConfig, LbV1ZonedAPI
from scaleway.vpc.v2 import VpcV2API
from scaleway_core.api import ScalewayException

from sandbox.lifecycle import ManualClock


def _ready_lb(api: LbV1ZonedAPI, clock: ManualClock, **kw: object):
    lb = api.create_lb(type_="LB-S", name="web", description="", tags=["job:x"], **kw)  # type: ignore[arg-type]
    clock.advance(2 + 40)
    return api.get_lb(lb_id=lb.id)


def test_lb_goes_to_create_creating_ready_with_a_flexible_ip(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api = LbV1ZonedAPI(mclient)
    lb = api.create_lb(type_="LB-S", name="web", description="front", tags=["job:1"])
    assert lb.status == "to_create" and lb.ip and lb.ip[0].lb_id == lb.id
    clock.advance(2)
    assert api.get_lb(lb_id=lb.id).status == "creating"
    clock.advance(40)
    ready = api.get_lb(lb_id=lb.id)
    assert ready.status == "ready" and ready.instances[0].status == "ready"
    listed = api.list_lbs(tags=["job:1"])
    assert [x.id for x in listed.lbs] == [lb.id] and listed.total_count == 1
    assert [t.name for t in api.list_lb_types().lb_types][:1] == ["LB-S"]


def test_backend_frontend_and_private_network(mclient: scaleway.Client, clock: ManualClock) -> None:
    api = LbV1ZonedAPI(mclient)
    lb = _ready_lb(api, clock)
    check = HealthCheck(
        port=80,
        check_max_retries=3,
        check_send_proxy=False,
        check_delay="3s",
        http_config=HealthCheckHttpConfig(uri="/health", method="GET", host_header=""),
    )
    backend = api.create_backend(
        lb_id=lb.id,
        forward_protocol="http",  # type: ignore[arg-type]
        forward_port=80,
        forward_port_algorithm="roundrobin",  # type: ignore[arg-type]
        sticky_sessions="none",  # type: ignore[arg-type]
        sticky_sessions_cookie_name="",
        health_check=check,
        server_ip=["10.0.0.1", "10.0.0.2"],
        name="web",
    )
    assert backend.pool == ["10.0.0.1", "10.0.0.2"] and backend.health_check.http_config
    updated = api.set_backend_servers(backend_id=backend.id, server_ip=["10.0.0.3"])
    assert updated.pool == ["10.0.0.3"]
    frontend = api.create_frontend(
        lb_id=lb.id,
        inbound_port=443,
        backend_id=backend.id,
        enable_http3=False,
        enable_access_logs=False,
        name="https",
    )
    assert frontend.backend and frontend.backend.id == backend.id
    with pytest.raises(ScalewayException) as exc:
        api.create_frontend(
            lb_id=lb.id,
            inbound_port=443,
            backend_id=backend.id,
            enable_http3=False,
            enable_access_logs=False,
        )
    assert exc.value.status_code == 400
    assert api.get_lb(lb_id=lb.id).frontend_count == 1

    pn = VpcV2API(mclient).create_private_network(
        name="lb-net", default_route_propagation_enabled=False
    )
    attached = api.attach_private_network(lb_id=lb.id, private_network_id=pn.id)
    assert attached.status == "pending" and attached.private_network_id == pn.id
    clock.advance(10)
    (listed,) = api.list_lb_private_networks(lb_id=lb.id).private_network
    assert listed.status == "ready"


def test_changes_before_ready_are_transient_state_and_delete_removes_everything(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api = LbV1ZonedAPI(mclient)
    lb = api.create_lb(type_="LB-S", name="web", description="")
    with pytest.raises(ScalewayException) as exc:
        api.create_frontend(
            lb_id=lb.id,
            inbound_port=80,
            backend_id="11111111-2222-3333-4444-555555555555",
            enable_http3=False,
            enable_access_logs=False,
        )
    assert exc.value.status_code == 409
    clock.advance(42)
    ip_id = lb.ip[0].id
    api.delete_lb(lb_id=lb.id, release_ip=False)
    assert api.get_lb(lb_id=lb.id).status == "to_delete"
    clock.advance(17)
    with pytest.raises(ScalewayException) as exc:
        api.get_lb(lb_id=lb.id)
    assert exc.value.status_code == 404
    assert api.get_ip(ip_id=ip_id).lb_id is None  # the IP stays, free for another one
