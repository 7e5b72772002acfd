"""Instance v1 JSON shapes (server, IP, volume, private NIC, task) and shared server helpers."""

from __future__ import annotations

from sandbox import errors
from sandbox.api.common import iso_instance, stable_id
from sandbox.lifecycle import DURATIONS_S
from sandbox.state import Record, SandboxState
from sandbox.types import JSON

ALLOWED_ACTIONS: dict[str, list[str]] = {
    "stopped": ["poweron", "backup"],
    "running": ["poweroff", "terminate", "reboot", "stop_in_place", "backup"],
    "stopped in place": ["poweron", "poweroff", "terminate", "reboot", "backup"],
    "starting": ["stop_in_place", "backup"],
    "stopping": ["stop_in_place", "backup"],
}
LOCATED = frozenset({"running", "stopping", "stopped in place"})


def allowed_actions(status: str) -> list[str]:
    """The actions a server accepts in a state."""
    return list(ALLOWED_ACTIONS.get(status, []))


def mac_address(state: SandboxState) -> str:
    """A fresh ``de:00:00:xx:xx:xx`` MAC address."""
    n = state.created("server") + state.created("private_nic") + 1
    return f"de:00:00:{(n >> 16) & 0xFF:02x}:{(n >> 8) & 0xFF:02x}:{n & 0xFF:02x}"


def _state_detail(server: Record, status: str) -> str:
    if status == "starting":
        return "allocating node"
    if status == "running":
        return "booting kernel"
    if status == "stopping":
        return str(server.data.get("detail") or "stopping")
    if status == "stopped in place":
        return "stopped in place"
    return "" if status == "stopped" else status


def _last_change(state: SandboxState, record: Record) -> float:
    now = state.now()
    changed = max((at for at, _ in record.timeline if at <= now), default=record.created_at)
    return max(changed, record.updated_at)


def server_nics(state: SandboxState, server: Record) -> list[Record]:
    """The live private NICs of a server."""
    return [n for n in state.all("private_nic") if n.parent_id == server.id]


def server_ips(state: SandboxState, server: Record) -> list[Record]:
    """The IPs attached to a server."""
    return [ip for ip in state.all("ip") if ip.data.get("server_id") == server.id]


def server_json(state: SandboxState, server: Record) -> JSON:
    """The ``server`` object."""
    status = state.status(server)
    zone = server.location
    ips = [server_ip_json(ip) for ip in server_ips(state, server)]
    volumes: JSON = {}
    for index, volume_id in enumerate(server.data.get("volume_ids", [])):
        volume = state.get("volume", volume_id)
        if volume is not None:
            volumes[str(index)] = server_volume_json(volume)
    location = None
    if status in LOCATED:
        location = {
            "zone_id": zone,
            "platform_id": "14",
            "cluster_id": "41",
            "hypervisor_id": "1101",
            "node_id": "43",
        }
    return {
        "id": server.id,
        "name": server.name,
        "arch": server.data["arch"],
        "commercial_type": server.data["commercial_type"],
        "boot_type": server.data["boot_type"],
        "organization": server.project_id,
        "project": server.project_id,
        "hostname": server.name,
        "image": server.data["image"],
        "volumes": volumes,
        "tags": list(server.tags),
        "state": status,
        "protected": server.data["protected"],
        "state_detail": _state_detail(server, status),
        "public_ip": ips[0] if ips else None,
        "public_ips": ips,
        "mac_address": server.data["mac_address"],
        "routed_ip_enabled": server.data["routed_ip_enabled"],
        "ipv6": None,
        "extra_networks": [],
        "dynamic_ip_required": server.data["dynamic_ip_required"],
        "enable_ipv6": server.data["enable_ipv6"],
        "private_ip": None,
        "creation_date": iso_instance(server.created_at),
        "modification_date": iso_instance(_last_change(state, server)),
        "bootscript": None,
        "security_group": {
            "id": stable_id("security-group", server.project_id, zone),
            "name": "Default security group",
        },
        "location": location,
        "maintenances": [],
        "allowed_actions": allowed_actions(status),
        "placement_group": None,
        "private_nics": [nic_json(state, n) for n in server_nics(state, server)],
        "zone": zone,
        "filesystems": [],
        "end_of_service": False,
        "admin_password_encryption_ssh_key_id": None,
    }


def task_json(state: SandboxState, server: Record, action: str) -> JSON:
    """The ``task`` an action answers with."""
    names = {"poweron": "server_batch_poweron", "poweroff": "server_poweroff"}
    return {
        "id": state.new_id(),
        "description": names.get(action, f"server_{action}"),
        "status": "pending",
        "href_from": f"/servers/{server.id}/action",
        "href_result": f"/servers/{server.id}",
        "started_at": iso_instance(state.now()),
        "terminated_at": None,
        "progress": 0,
        "zone": server.location,
    }


# -- IPs ----------------------------------------------------------------------------------
def new_ip(state: SandboxState, zone: str, project: str, tags: list[str]) -> Record:
    """Reserve a routed IPv4 (detached until a server takes it)."""
    n = state.created("ip") + 1
    now = state.now()
    return state.add(
        Record(
            kind="ip",
            id=state.new_id(),
            location=zone,
            project_id=project,
            name=f"51.158.{(n >> 8) & 0xFF}.{n & 0xFF}",
            tags=tags,
            created_at=now,
            timeline=[(now, "available")],
            data={"server_id": None, "reverse": None, "ipam_id": state.new_id()},
        )
    )


def require_ip(state: SandboxState, zone: str, ip_id: str) -> Record:
    """A live IP of this zone, or 404 ``instance_ip``."""
    ip = state.get("ip", ip_id)
    if ip is None or ip.location != zone:
        raise errors.not_found("instance_ip", ip_id)
    return ip


def server_ip_json(ip: Record) -> JSON:
    """An IP as a server shows it."""
    return {
        "id": ip.id,
        "address": ip.name,
        "dynamic": False,
        "gateway": "62.210.0.1",
        "netmask": "32",
        "family": "inet",
        "provisioning_mode": "dhcp",
        "tags": list(ip.tags),
        "state": "attached",
        "ipam_id": ip.data["ipam_id"],
    }


def ip_json(state: SandboxState, ip: Record) -> JSON:
    """The ``ip`` object."""
    server = state.get("server", ip.data["server_id"]) if ip.data.get("server_id") else None
    return {
        "id": ip.id,
        "address": ip.name,
        "reverse": ip.data.get("reverse"),
        "server": {"id": server.id, "name": server.name} if server else None,
        "organization": ip.project_id,
        "project": ip.project_id,
        "zone": ip.location,
        "type": "routed_ipv4",
        "state": "attached" if server else "detached",
        "tags": list(ip.tags),
        "prefix": f"{ip.name}/32",
        "ipam_id": ip.data["ipam_id"],
    }


# -- volumes ------------------------------------------------------------------------------
def new_volume(
    state: SandboxState, zone: str, project: str, spec: JSON, server_id: str | None, name: str
) -> Record:
    """Create a volume (``sbs_volume`` or ``l_ssd``) attached to a server."""
    now = state.now()
    return state.add(
        Record(
            kind="volume",
            id=state.new_id(),
            location=zone,
            project_id=project,
            name=spec.get("name") or name,
            tags=[],
            created_at=now,
            timeline=[(now, "available")],
            data={"volume_type": spec["volume_type"], "size": spec["size"], "server_id": server_id},
        )
    )


def server_volume_json(volume: Record) -> JSON:
    """A volume inside a server (SBS volumes show the short real shape)."""
    short = {
        "boot": False,
        "volume_type": volume.data["volume_type"],
        "id": volume.id,
        "state": "available",
        "zone": volume.location,
    }
    if volume.data["volume_type"] == "sbs_volume":
        return short
    return {
        **short,
        "name": volume.name,
        "export_uri": None,
        "organization": volume.project_id,
        "project": volume.project_id,
        "server": None,
        "size": volume.data["size"],
        "creation_date": iso_instance(volume.created_at),
        "modification_date": iso_instance(volume.updated_at),
    }


def volume_json(state: SandboxState, volume: Record) -> JSON:
    """The Instance v1 ``volume`` object (local volumes)."""
    server = state.get("server", volume.data["server_id"]) if volume.data["server_id"] else None
    return {
        "id": volume.id,
        "name": volume.name,
        "export_uri": None,
        "size": volume.data["size"],
        "volume_type": volume.data["volume_type"],
        "creation_date": iso_instance(volume.created_at),
        "modification_date": iso_instance(volume.updated_at),
        "organization": volume.project_id,
        "project": volume.project_id,
        "tags": list(volume.tags),
        "server": {"id": server.id, "name": server.name} if server else None,
        "state": "available",
        "zone": volume.location,
    }


def release_server(state: SandboxState, server: Record, *, delete_volumes: bool) -> None:
    """Detach (or delete) what a deleted server held: IPs, volumes, private NICs."""
    for ip in state.all("ip"):
        if ip.data.get("server_id") == server.id:
            ip.data["server_id"] = None
    for volume_id in server.data.get("volume_ids", []):
        volume = state.get("volume", volume_id)
        if volume is None:
            continue
        if delete_volumes:
            state.remove("volume", volume_id)
        else:
            volume.data["server_id"] = None
    for nic in state.all("private_nic"):
        if nic.parent_id == server.id:
            state.remove("private_nic", nic.id)


# -- private NICs -------------------------------------------------------------------------
def nic_phases(server_status: str) -> list[tuple[str, float | None]]:
    """A NIC on a stopped server is available at once; on a running one it syncs first."""
    if server_status in ("stopped", "stopped in place"):
        return [("available", None)]
    return [("syncing", DURATIONS_S["private_nic.syncing"]), ("available", None)]


def nic_json(state: SandboxState, nic: Record) -> JSON:
    """The ``private_nic`` object."""
    return {
        "id": nic.id,
        "private_network_id": nic.data["private_network_id"],
        "server_id": nic.parent_id,
        "mac_address": nic.data["mac_address"],
        "state": state.status(nic),
        "creation_date": iso_instance(nic.created_at),
        "modification_date": iso_instance(_last_change(state, nic)),
        "zone": nic.location,
        "tags": list(nic.tags),
        "ipam_ip_ids": list(nic.data["ipam_ip_ids"]),
    }
