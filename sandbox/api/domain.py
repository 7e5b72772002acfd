"""Domains and DNS v2beta1 (global): DNS zones and their records.

A zone is created ``pending`` and turns ``active`` after 5 s (speed 1); every records change
puts it back to ``pending`` for 5 s, as the real API does while it publishes a new version.
Records are changed with the API's change list: ``add`` (new records), ``set`` (replace the
records matching an id or ``id_fields``), ``delete`` (by id or ``id_fields``) and ``clear``.
Record types and values are checked like the API does (A needs an IPv4 address, AAAA an
IPv6 one, CNAME/MX/NS/ALIAS a host name; TTL 60-2592000), answering 400 naming the field.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import errors
from sandbox.api.common import (
    Fields,
    iso,
    json_response,
    project_from,
    read_json,
    regional_page,
    state_of,
)
from sandbox.state import Record, SandboxState
from sandbox.types import JSON

PREFIX = "/domain/v2beta1/dns-zones"
PENDING_S = 5.0
TYPES = ("A", "AAAA", "CNAME", "TXT", "MX", "NS", "CAA", "SRV", "ALIAS", "PTR")
HOST_RE = re.compile(r"^([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9_-]{1,63}\.?$")
NAME_RE = re.compile(r"^(\*\.)?([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.?)*$")
NS = ["ns0.dom.scw.cloud", "ns1.dom.scw.cloud"]


def zone_json(state: SandboxState, zone: Record) -> JSON:
    """A ``DNSZone``."""
    return {
        "domain": zone.data["domain"],
        "subdomain": zone.data["subdomain"],
        "ns": list(NS),
        "ns_default": list(NS),
        "ns_master": [],
        "status": state.status(zone),
        "message": None,
        "updated_at": iso(zone.updated_at),
        "project_id": zone.project_id,
        "linked_products": [],
    }


def record_json(record: JSON) -> JSON:
    """A ``Record``."""
    return {
        "id": record["id"],
        "name": record["name"],
        "type": record["type"],
        "data": record["data"],
        "ttl": record["ttl"],
        "priority": record["priority"],
        "comment": None,
        "updated_at": record["updated_at"],
        "geo_ip_config": None,
        "http_service_config": None,
        "weighted_config": None,
        "view_config": None,
    }


def _zone(request: Request) -> Record:
    name = request.path_params["dns_zone"]
    zone = state_of(request).get("dns_zone", name)
    if zone is None:
        raise errors.not_found("dns_zone", name)
    return zone


def _touch(state: SandboxState, zone: Record) -> None:
    state.set_timeline(zone, [("pending", PENDING_S), ("active", None)])


def data_problem(kind: str, data: str) -> str | None:
    """Why ``data`` is not a valid value for a record of type ``kind``, or None."""
    if kind in ("A", "AAAA"):
        family = ipaddress.IPv4Address if kind == "A" else ipaddress.IPv6Address
        try:
            family(data)
        except ValueError:
            return f"{kind} record data must be an IPv{4 if kind == 'A' else 6} address"
        return None
    if kind in ("CNAME", "NS", "ALIAS", "PTR"):
        return None if HOST_RE.match(data) else f"{kind} record data must be a host name"
    if kind == "MX":
        host = data.split()[-1] if data.split() else ""
        return None if HOST_RE.match(host) else "MX record data must end with a host name"
    if not data:
        return "record data must not be empty"
    return None


def _records(fields: Fields, raw: Any, prefix: str, now: str, new_id: Any) -> list[JSON]:
    if not isinstance(raw, list):
        fields.fail(prefix, "format", "must be a list of records")
        return []
    out = []
    for i, item in enumerate(raw):
        check = Fields(item if isinstance(item, dict) else {}, prefix=f"{prefix}[{i}].")
        name = check.str("name", default="")
        kind = (check.str("type", required=True) or "").upper()
        data = check.str("data", required=True) or ""
        ttl = check.int("ttl", 3600, minimum=60, maximum=2_592_000)
        priority = check.int("priority", 0, minimum=0, maximum=65535)
        if kind and kind not in TYPES:
            check.fail("type", "constraint", f"must be one of {list(TYPES)}")
        elif kind and (problem := data_problem(kind, data)):
            check.fail("data", "constraint", problem)
        if name and not NAME_RE.match(name):
            check.fail("name", "constraint", "must be a relative record name such as www")
        fields.details += check.details
        record = {"name": name, "type": kind, "data": data, "ttl": ttl, "priority": priority}
        out.append({**record, "id": new_id(), "updated_at": now})
    return out


def _matches(record: JSON, change: JSON) -> bool:
    if change.get("id"):
        return record["id"] == change["id"]
    fields = change.get("id_fields") or {}
    if (fields.get("name") or "") != record["name"]:
        return False
    if str(fields.get("type") or "").upper() != record["type"]:
        return False
    if fields.get("data") is not None and fields["data"] != record["data"]:
        return False
    return fields.get("ttl") is None or fields["ttl"] == record["ttl"]


async def create_dns_zone(request: Request) -> Response:
    """POST /dns-zones (``pending``, then ``active``)."""
    state = state_of(request)
    fields = Fields(await read_json(request))
    project = project_from(fields, "project_id")
    domain = (fields.str("domain", required=True) or "").lower()
    subdomain = (fields.str("subdomain", default="") or "").lower()
    if domain and not HOST_RE.match(domain):
        fields.fail("domain", "constraint", "must be a domain name")
    fields.check()
    name = f"{subdomain}.{domain}" if subdomain else domain
    if state.get("dns_zone", name) is not None:
        raise errors.already_exists("dns_zone", name, f"zone {name} already exists")
    zone = state.add(
        Record(
            kind="dns_zone",
            id=name,
            location="global",
            project_id=project,
            name=name,
            tags=[],
            created_at=state.now(),
            timeline=state.plan([("pending", PENDING_S), ("active", None)]),
            data={"domain": domain, "subdomain": subdomain, "records": []},
        )
    )
    return json_response(zone_json(state, zone))


async def list_dns_zones(request: Request) -> Response:
    """GET /dns-zones (filters: domain, dns_zone, dns_zones, project_id)."""
    state, params = state_of(request), request.query_params
    domain, wanted = params.get("domain"), params.get("dns_zone")
    several = set(params.getlist("dns_zones"))
    project = params.get("project_id")
    items = [
        zone_json(state, z)
        for z in sorted(state.all("dns_zone"), key=lambda z: z.name)
        if (not domain or z.data["domain"] == domain)
        and (not wanted or z.name == wanted)
        and (not several or z.name in several)
        and (not project or z.project_id == project)
    ]
    return json_response(regional_page(request, "dns_zones", items))


async def list_records(request: Request) -> Response:
    """GET /dns-zones/{dns_zone}/records (filters: name, type, id)."""
    zone = _zone(request)
    params = request.query_params
    name, kind, rid = params.get("name"), (params.get("type") or "").upper(), params.get("id")
    items = [
        record_json(r)
        for r in zone.data["records"]
        if (not name or r["name"] == name)
        and (not kind or kind == "UNKNOWN" or r["type"] == kind)
        and (not rid or r["id"] == rid)
    ]
    return json_response(regional_page(request, "records", items))


async def update_records(request: Request) -> Response:
    """PATCH /dns-zones/{dns_zone}/records: apply the change list in order, all or nothing."""
    state = state_of(request)
    zone = _zone(request)
    body = await read_json(request)
    fields = Fields(body)
    changes = fields.list("changes") or []
    return_all = fields.bool("return_all_records", False)
    now = iso(state.now()) or ""
    with state.lock:
        records = [dict(r) for r in zone.data["records"]]
        touched: list[JSON] = []
        for i, change in enumerate(changes):
            if not isinstance(change, dict) or len(change) != 1:
                fields.fail(f"changes[{i}]", "format", "one of add, set, delete or clear")
                continue
            (action, value), prefix = next(iter(change.items())), f"changes[{i}]"
            value = value if isinstance(value, dict) else {}
            if action == "add":
                added = _records(
                    fields, value.get("records"), f"{prefix}.add.records", now, state.new_id
                )
                records += added
                touched += added
            elif action == "set":
                new = _records(
                    fields, value.get("records"), f"{prefix}.set.records", now, state.new_id
                )
                records = [r for r in records if not _matches(r, value)] + new
                touched += new
            elif action == "delete":
                kept = [r for r in records if not _matches(r, value)]
                if len(kept) == len(records):
                    fields.fail(f"{prefix}.delete", "constraint", "no record matches")
                records = kept
            elif action == "clear":
                records = []
            else:
                fields.fail(prefix, "format", f"unknown change {action!r}")
        fields.check()
        zone.data["records"] = records
        _touch(state, zone)
    shown = records if return_all else touched
    return json_response({"records": [record_json(r) for r in shown]})


async def delete_dns_zone(request: Request) -> Response:
    """DELETE /dns-zones/{dns_zone}: 200 ``{}``."""
    state = state_of(request)
    zone = _zone(request)
    state.remove("dns_zone", zone.id)
    return json_response({})


routes = [
    Route(PREFIX, create_dns_zone, methods=["POST"]),
    Route(PREFIX, list_dns_zones, methods=["GET"]),
    Route(f"{PREFIX}/{{dns_zone}}", delete_dns_zone, methods=["DELETE"]),
    Route(f"{PREFIX}/{{dns_zone}}/records", list_records, methods=["GET"]),
    Route(f"{PREFIX}/{{dns_zone}}/records", update_records, methods=["PATCH"]),
]
