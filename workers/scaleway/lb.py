"""The Load Balancer API (zoned) over the adapter: load balancers, backends, frontends and
private network attachments listed, read, created and deleted; backend server addresses from
servers; summaries. The only module that names Load Balancer SDK methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobs.models import JSON
from workers.scaleway.client import ScalewayClient
from workers.scaleway.k8s import status_text
from workers.scaleway.presence import get_or_explain, tagged

if TYPE_CHECKING:
    from scaleway.instance.v1 import Server
    from scaleway.lb.v1 import Backend, Frontend, HealthCheck, Lb, ListLbsResponse
    from scaleway.lb.v1 import PrivateNetwork as LbPrivateNetwork

LB_READY = "ready"
LB_WAIT = frozenset({"to_create", "creating", "pending", "migrating"})
LB_GOING = frozenset({"to_delete", "deleting"})


async def get_lb(client: ScalewayClient, zone: str, lb_id: str) -> Lb:
    """The load balancer, or NotFound naming it and where to look."""
    lb: Lb = await get_or_explain(
        client,
        client.lb.get_lb,
        f"load balancer {lb_id} was not found in {zone}; list_load_balancers shows them",
        resource="lb",
        resource_id=lb_id,
        zone=zone,
        lb_id=lb_id,
    )
    return lb


async def find_lb_by_tag(client: ScalewayClient, zone: str, tag: str) -> Lb | None:
    """The load balancer carrying ``tag`` (a job's mark), if any."""
    response = await client.call_idempotent(client.lb.list_lbs, zone=zone, tags=[tag], page_size=10)
    found: Lb | None = tagged(response.lbs, tag)
    return found


async def list_lbs(
    client: ScalewayClient,
    zone: str,
    *,
    page: int,
    page_size: int,
    name: str | None = None,
    tags: list[str] | None = None,
) -> ListLbsResponse:
    """One page of the zone's load balancers, filtered by name part and tags."""
    return await client.call_idempotent(
        client.lb.list_lbs, zone=zone, page=page, page_size=page_size, name=name, tags=tags
    )


async def create_lb(
    client: ScalewayClient,
    zone: str,
    *,
    name: str,
    description: str,
    type_: str,
    tags: list[str],
    project_id: str | None,
) -> Lb:
    """A new load balancer (one call, no retries: callers use ``client.create_once``)."""
    return await client.call(
        client.lb.create_lb,
        zone=zone,
        name=name,
        description=description,
        type_=type_,
        tags=tags,
        project_id=project_id or client.project_id,
    )


async def delete_lb(client: ScalewayClient, zone: str, lb_id: str, *, release_ip: bool) -> None:
    """Ask for a load balancer's deletion; NotFound when it is gone."""
    await client.call_idempotent(client.lb.delete_lb, zone=zone, lb_id=lb_id, release_ip=release_ip)


async def attach_private_network(client: ScalewayClient, zone: str, lb_id: str, pn_id: str) -> None:
    """Attach a private network to a load balancer (Conflict ``already_exists`` when it is)."""
    await client.call_idempotent(
        client.lb.attach_private_network, zone=zone, lb_id=lb_id, private_network_id=pn_id
    )


async def lb_private_networks(
    client: ScalewayClient, zone: str, lb_id: str
) -> list[LbPrivateNetwork]:
    """The private network attachments of a load balancer."""
    return await client.call_idempotent(
        client.lb.list_lb_private_networks_all, zone=zone, lb_id=lb_id
    )


async def lb_backends(client: ScalewayClient, zone: str, lb_id: str) -> list[Backend]:
    """Every backend of a load balancer."""
    return await client.call_idempotent(client.lb.list_backends_all, zone=zone, lb_id=lb_id)


async def find_backend(client: ScalewayClient, zone: str, lb_id: str, name: str) -> Backend | None:
    """The load balancer's backend called ``name``, if any."""
    found = await client.call_idempotent(client.lb.list_backends, zone=zone, lb_id=lb_id, name=name)
    return next((b for b in found.backends if b.name == name), None)


async def get_backend(client: ScalewayClient, zone: str, backend_id: str) -> Backend:
    """A backend by id; NotFound when it is not there."""
    return await client.call_idempotent(client.lb.get_backend, zone=zone, backend_id=backend_id)


async def create_backend(
    client: ScalewayClient,
    zone: str,
    lb_id: str,
    *,
    name: str,
    protocol: str,
    port: int,
    server_ips: list[str],
    check: HealthCheck,
) -> Backend:
    """A new round-robin backend without sticky sessions (one call, no retries)."""
    from scaleway.lb.v1 import ForwardPortAlgorithm, Protocol, StickySessionsType

    return await client.call(
        client.lb.create_backend,
        zone=zone,
        lb_id=lb_id,
        name=name,
        forward_protocol=Protocol(protocol),
        forward_port=port,
        forward_port_algorithm=ForwardPortAlgorithm.ROUNDROBIN,
        sticky_sessions=StickySessionsType.NONE,
        sticky_sessions_cookie_name="",
        health_check=check,
        server_ip=server_ips,
    )


async def lb_frontends(client: ScalewayClient, zone: str, lb_id: str) -> list[Frontend]:
    """Every frontend of a load balancer."""
    return await client.call_idempotent(client.lb.list_frontends_all, zone=zone, lb_id=lb_id)


async def create_frontend(
    client: ScalewayClient, zone: str, lb_id: str, *, name: str, port: int, backend_id: str
) -> Frontend:
    """A new frontend listening on ``port`` for a backend (one call, no retries)."""
    return await client.call(
        client.lb.create_frontend,
        zone=zone,
        lb_id=lb_id,
        name=name,
        inbound_port=port,
        backend_id=backend_id,
        enable_http3=False,
        enable_access_logs=False,
    )


async def lb_types(client: ScalewayClient, zone: str) -> list[str]:
    """Offer types of a zone that are in stock, e.g. ``LB-S``."""
    response = await client.call_idempotent(client.lb.list_lb_types, zone=zone, page_size=100)
    return [t.name for t in response.lb_types if status_text(t.stock_status) != "out_of_stock"]


def server_address(server: Any) -> str | None:
    """The address a load balancer reaches a server on: its public IPv4, else its private IP."""
    for ip in server.public_ips or []:
        if getattr(ip, "address", None) and status_text(getattr(ip, "family", "inet")) == "inet":
            return str(ip.address)
    return getattr(server, "private_ip", None) or None


async def servers_by_tag(client: ScalewayClient, zone: str, tag: str) -> list[Server]:
    """The servers of a zone carrying ``tag`` (first 100)."""
    response = await client.call_idempotent(
        client.instance.list_servers, zone=zone, tags=[tag], per_page=100, page=1
    )
    return list(response.servers)


def health_check(port: int, http_path: str | None) -> HealthCheck:
    """The SDK health check: HTTP ``GET http_path`` when given, else a TCP connect, every 3 s."""
    from scaleway.lb.v1 import HealthCheck, HealthCheckHttpConfig, HealthCheckTcpConfig

    http = HealthCheckHttpConfig(uri=http_path, method="GET", host_header="") if http_path else None
    return HealthCheck(
        port=port,
        check_max_retries=3,
        check_send_proxy=False,
        check_delay="3s",
        check_timeout="1s",
        http_config=http,
        tcp_config=None if http else HealthCheckTcpConfig(),
    )


def lb_summary(lb: Any) -> JSON:
    """One row of ``list_load_balancers``."""
    return {
        "id": lb.id,
        "name": lb.name,
        "status": status_text(lb.status),
        "type": lb.type_,
        "ips": [ip.ip_address for ip in lb.ip or []],
        "frontends": lb.frontend_count,
        "backends": lb.backend_count,
        "private_networks": lb.private_network_count,
        "zone": str(lb.zone),
        "tags": list(lb.tags or []),
    }


def backend_summary(backend: Any) -> JSON:
    """A backend: protocol, port, servers and health check."""
    check = backend.health_check
    return {
        "id": backend.id,
        "name": backend.name,
        "protocol": status_text(backend.forward_protocol),
        "port": backend.forward_port,
        "servers": list(backend.pool or []),
        "health_check": {
            "port": check.port,
            "http_path": check.http_config.uri if check.http_config else None,
        }
        if check
        else None,
    }


def frontend_summary(frontend: Any) -> JSON:
    """A frontend: the port it listens on and its backend."""
    return {
        "id": frontend.id,
        "name": frontend.name,
        "port": frontend.inbound_port,
        "backend_id": frontend.backend.id if frontend.backend else None,
    }


async def lb_detail(client: ScalewayClient, zone: str, lb: Any) -> JSON:
    """A load balancer with its backends, frontends and private networks."""
    backends = await lb_backends(client, zone, lb.id)
    frontends = await lb_frontends(client, zone, lb.id)
    networks = await lb_private_networks(client, zone, lb.id)
    return {
        **lb_summary(lb),
        "description": lb.description,
        "backends": [backend_summary(b) for b in backends],
        "frontends": [frontend_summary(f) for f in frontends],
        "private_network_attachments": [
            {"private_network_id": n.private_network_id, "status": status_text(n.status)}
            for n in networks
        ],
    }
