"""DNS zones and records over the adapter: zone look-up, record reads, the API's change list,
and the checks a record's type and value must pass before any call."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from jobs.models import JSON
from workers.scaleway.client import ScalewayClient
from workers.scaleway.errors import NotFound
from workers.scaleway.k8s import status_text

if TYPE_CHECKING:
    from scaleway.domain.v2beta1 import DNSZone, Record

ZONE_ACTIVE = "active"
ZONE_WAIT = frozenset({"pending"})
TTL_MIN_S, TTL_MAX_S = 60, 2_592_000
HOST_RE = re.compile(r"^([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9_-]{1,63}\.?\Z")


class RecordType(StrEnum):
    """The record types the tools write."""

    A = "A"
    AAAA = "AAAA"
    CNAME = "CNAME"
    TXT = "TXT"
    MX = "MX"
    NS = "NS"
    CAA = "CAA"
    ALIAS = "ALIAS"


class ChangeAction(StrEnum):
    """What a change does to the records named by (name, type[, data])."""

    ADD = "add"
    SET = "set"
    DELETE = "delete"


def data_problem(kind: RecordType, data: str) -> str | None:
    """Why ``data`` is no value for a ``kind`` record, or None."""
    if kind in (RecordType.A, RecordType.AAAA):
        version = 4 if kind is RecordType.A else 6
        try:
            ip = ipaddress.ip_address(data)
        except ValueError:
            return f"an {kind} record needs an IPv{version} address, not {data!r}"
        return None if ip.version == version else f"an {kind} record needs an IPv{version} address"
    if kind in (RecordType.CNAME, RecordType.NS, RecordType.ALIAS):
        return None if HOST_RE.match(data) else f"a {kind} record needs a host name, not {data!r}"
    if kind is RecordType.MX:
        return None if HOST_RE.match(data) else f"an MX record needs a mail host name, not {data!r}"
    if not data or len(data) > 2048:
        return f"a {kind} record needs a value of 1-2048 characters"
    return None


async def get_zone(client: ScalewayClient, name: str) -> DNSZone:
    """The DNS zone called ``name``, or NotFound saying where to look."""
    response = await client.call_idempotent(
        client.domain.list_dns_zones, domain="", dns_zone=name, page_size=10
    )
    for zone in response.dns_zones:
        if zone_name(zone) == name:
            return zone
    raise NotFound(
        f"DNS zone {name} was not found; list_dns_zones shows the zones of the project",
        status=404,
        resource="dns_zone",
        resource_id=name,
    )


async def list_zones(client: ScalewayClient) -> list[DNSZone]:
    """Every DNS zone of the project."""
    return await client.call_idempotent(client.domain.list_dns_zones_all, domain="")


def zone_name(zone: Any) -> str:
    """``www.example.com`` from its domain and subdomain."""
    return f"{zone.subdomain}.{zone.domain}" if zone.subdomain else str(zone.domain)


async def zone_records(
    client: ScalewayClient, zone: str, name: str = "", kind: str | None = None
) -> list[Record]:
    """The records of a zone, optionally only those with this name and type."""
    return await client.call_idempotent(
        client.domain.list_dns_zone_records_all, dns_zone=zone, name=name, type_=kind
    )


def zone_summary(zone: Any) -> JSON:
    """One row of ``list_dns_zones``."""
    return {
        "zone": zone_name(zone),
        "status": status_text(zone.status),
        "name_servers": list(zone.ns or []),
        "updated_at": str(zone.updated_at) if zone.updated_at else None,
    }


def record_summary(record: Any) -> JSON:
    """One record: name, type, value, TTL (and priority when it has one)."""
    out: JSON = {
        "id": record.id,
        "name": record.name,
        "type": str(record.type_).upper(),
        "data": record.data,
        "ttl": record.ttl,
    }
    if record.priority:
        out["priority"] = record.priority
    return out


def matches(record: Any, change: JSON) -> bool:
    """Whether an existing record is the one a change names (name, type, and data if given)."""
    if record.name != change["name"] or str(record.type_).upper() != change["type"]:
        return False
    return change.get("data") is None or record.data == change["data"]


def sdk_changes(changes: list[JSON]) -> list[Any]:
    """The SDK change list for our changes (add / set by name+type / delete by name+type[+data])."""
    from scaleway.domain.v2beta1 import (
        Record,
        RecordChange,
        RecordChangeAdd,
        RecordChangeDelete,
        RecordChangeSet,
        RecordIdentifier,
    )

    def record(c: JSON) -> Any:
        return Record(
            data=c["data"],
            name=c["name"],
            priority=c.get("priority") or 0,
            ttl=c["ttl"],
            type_=c["type"],
            id="",
        )

    out = []
    for c in changes:
        ident = RecordIdentifier(name=c["name"], type_=c["type"], data=c.get("data"))
        if c["action"] == ChangeAction.ADD:
            out.append(RecordChange(add=RecordChangeAdd(records=[record(c)])))
        elif c["action"] == ChangeAction.SET:
            ident = RecordIdentifier(name=c["name"], type_=c["type"])
            out.append(RecordChange(set_=RecordChangeSet(id_fields=ident, records=[record(c)])))
        else:
            out.append(RecordChange(delete=RecordChangeDelete(id_fields=ident)))
    return out


async def change_records(client: ScalewayClient, zone: str, changes: list[JSON]) -> None:
    """Apply record changes to a zone in one call (not idempotent: an add twice adds twice)."""
    await client.call(
        client.domain.update_dns_zone_records,
        dns_zone=zone,
        changes=sdk_changes(changes),
        disallow_new_zone_creation=True,
    )
