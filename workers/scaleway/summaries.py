"""SDK objects as JSON: short summaries for lists and results, full detail for ``get_*``."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any

from jobs.models import JSON


def to_json(value: Any) -> Any:
    """An SDK value (dataclasses, enums, datetimes, containers) as plain JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def _text(value: Any) -> str:
    return str(value.value if isinstance(value, Enum) else value) if value is not None else ""


def server_ips(server: Any) -> JSON:
    """Public and private addresses of a server."""
    public = [
        {"address": ip.address, "family": _text(ip.family), "dynamic": bool(ip.dynamic)}
        for ip in (server.public_ips or [])
        if getattr(ip, "address", None)
    ]
    if not public and getattr(server, "public_ip", None) is not None and server.public_ip.address:
        public = [{"address": server.public_ip.address, "family": _text(server.public_ip.family)}]
    return {
        "public": public,
        "private_ip": getattr(server, "private_ip", None),
        "private_nics": [nic_summary(n) for n in (server.private_nics or [])],
    }


def server_summary(server: Any) -> JSON:
    """One row of ``list_instances``."""
    public = [ip.address for ip in (server.public_ips or []) if getattr(ip, "address", None)]
    return {
        "id": server.id,
        "name": server.name,
        "state": _text(server.state),
        "commercial_type": server.commercial_type,
        "zone": _text(server.zone),
        "public_ip": public[0] if public else None,
        "private_nics": len(server.private_nics or []),
        "tags": list(server.tags or []),
    }


def server_result(server: Any, volume_sizes: dict[str, int] | None = None) -> JSON:
    """What a server job returns: the summary with its addresses and volumes.

    ``volume_sizes`` (bytes by volume id) fills in what the server's own answer leaves out:
    the Instance API gives no size for block (``sbs_volume``) volumes.
    """
    sizes = volume_sizes or {}
    summary = server_summary(server)
    del summary["private_nics"]  # the NICs themselves are under ips.private_nics
    return {
        **summary,
        "state_detail": server.state_detail,
        "image": getattr(server.image, "name", None) if server.image else None,
        "ips": server_ips(server),
        "volumes": [
            {
                "id": v.id,
                "type": _text(v.volume_type),
                "size_bytes": getattr(v, "size", None) or sizes.get(v.id),
            }
            for v in (server.volumes or {}).values()
        ],
    }


def server_detail(server: Any) -> JSON:
    """Everything about a server (``get_instance``)."""
    detail: JSON = to_json(server)
    detail["state"] = _text(server.state)
    return detail


def nic_summary(nic: Any) -> JSON:
    """A private NIC."""
    return {
        "id": nic.id,
        "server_id": nic.server_id,
        "private_network_id": nic.private_network_id,
        "state": _text(nic.state),
        "mac_address": nic.mac_address,
        "tags": list(nic.tags or []),
    }


def private_network_summary(network: Any) -> JSON:
    """One row of ``list_private_networks``."""
    return {
        "id": network.id,
        "name": network.name,
        "region": _text(network.region),
        "vpc_id": network.vpc_id,
        "subnets": [s.subnet for s in (network.subnets or []) if getattr(s, "subnet", None)],
        "dhcp_enabled": network.dhcp_enabled,
        "tags": list(network.tags or []),
    }
