"""Load Balancers (zoned) over the adapter: look-ups by id and by a job's tag, backend server
addresses from servers, summaries."""

from __future__ import annotations

from typing import Any

from jobs.models import JSON
from workers.scaleway.client import ScalewayClient
from workers.scaleway.k8s import status_text
from workers.scaleway.presence import get_or_explain, tagged

LB_READY = "ready"
LB_WAIT = frozenset({"to_create", "creating", "pending", "migrating"})
LB_GOING = frozenset({"to_delete", "deleting"})


async def get_lb(client: ScalewayClient, zone: str, lb_id: str) -> Any:
    """The load balancer, or NotFound naming it and where to look."""
    return await get_or_explain(
        client,
        client.lb.get_lb,
        f"load balancer {lb_id} was not found in {zone}; list_load_balancers shows them",
        resource="lb",
        resource_id=lb_id,
        zone=zone,
        lb_id=lb_id,
    )


async def find_lb_by_tag(client: ScalewayClient, zone: str, tag: str) -> Any | None:
    """The load balancer carrying ``tag`` (a job's mark), if any."""
    response = await client.read(client.lb.list_lbs, zone=zone, tags=[tag], page_size=10)
    return tagged(response.lbs, tag)


async def lb_types(client: ScalewayClient, zone: str) -> list[str]:
    """Offer types of a zone that are in stock, e.g. ``LB-S``."""
    response = await client.read(client.lb.list_lb_types, zone=zone, page_size=100)
    return [t.name for t in response.lb_types if status_text(t.stock_status) != "out_of_stock"]


def server_address(server: Any) -> str | None:
    """The address a load balancer reaches a server on: its public IPv4, else its private IP."""
    for ip in server.public_ips or []:
        if getattr(ip, "address", None) and status_text(getattr(ip, "family", "inet")) == "inet":
            return str(ip.address)
    return getattr(server, "private_ip", None) or None


async def servers_by_tag(client: ScalewayClient, zone: str, tag: str) -> list[Any]:
    """The servers of a zone carrying ``tag`` (first 100)."""
    response = await client.read(
        client.instance.list_servers, zone=zone, tags=[tag], per_page=100, page=1
    )
    return list(response.servers)


def health_check(port: int, http_path: str | None) -> Any:
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
    backends = await client.read(client.lb.list_backends_all, zone=zone, lb_id=lb.id)
    frontends = await client.read(client.lb.list_frontends_all, zone=zone, lb_id=lb.id)
    networks = await client.read(client.lb.list_lb_private_networks_all, zone=zone, lb_id=lb.id)
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
