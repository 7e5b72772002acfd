"""Helpers shared by the API modules: JSON answers, timestamps, input checks, pagination."""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from sandbox import errors
from sandbox.state import DEFAULT_PROJECT_ID, Record, SandboxState
from sandbox.types import JSON

T = TypeVar("T")

ZONES = frozenset(f"{region}-{n}" for region in ("fr-par", "nl-ams", "pl-waw") for n in (1, 2, 3))
REGIONS = frozenset({"fr-par", "nl-ams", "pl-waw"})
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def state_of(request: Request) -> SandboxState:
    """The sandbox state behind a request."""
    return request.app.state.sandbox


def is_uuid(value: object) -> bool:
    """Whether a value is a UUID string."""
    return isinstance(value, str) and bool(UUID_RE.match(value))


def stable_id(*parts: str) -> str:
    """A deterministic UUID for reference data (images, versions...)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "scaleway-sandbox:" + "/".join(parts)))


# -- answers ------------------------------------------------------------------------------
def json_response(
    body: JSON | None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    *,
    python_style: bool = False,
) -> Response:
    """A JSON answer; Instance v1 uses Python-style separators, the other APIs compact ones."""
    if body is None:
        content = b""
    else:
        separators = (", ", ": ") if python_style else (",", ":")
        content = json.dumps(body, separators=separators).encode()
    return Response(content, status, headers=headers, media_type="application/json")


def iso_instance(ts: float | None) -> str | None:
    """Instance v1 timestamp: ``2025-11-04T10:16:43.388760+00:00``."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def iso(ts: float | None) -> str | None:
    """Timestamp of the newer APIs: ``2026-07-03T13:57:06.404989Z``."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- path checks --------------------------------------------------------------------------
def zone_of(request: Request) -> str:
    """The ``{zone}`` path parameter, validated."""
    zone = request.path_params["zone"]
    if zone not in ZONES:
        raise errors.invalid_argument(
            "zone", "constraint", f"unknown zone {zone!r}, expected one of {sorted(ZONES)}"
        )
    return zone


def region_of(request: Request) -> str:
    """The ``{region}`` path parameter, validated."""
    return known_region(request.path_params["region"])


def known_region(region: str) -> str:
    """``region`` if the sandbox serves it; else a 400 naming the valid ones."""
    if region not in REGIONS:
        raise errors.invalid_argument(
            "region", "constraint", f"unknown region {region!r}, expected one of {sorted(REGIONS)}"
        )
    return region


def region_of_zone(zone: str) -> str:
    """The region a zone belongs to (``fr-par-1`` -> ``fr-par``)."""
    return zone.rsplit("-", 1)[0]


def path_id(request: Request, name: str) -> str:
    """A UUID path parameter, validated (a malformed id is a 400, not a 404)."""
    value = request.path_params[name]
    if not is_uuid(value):
        raise errors.invalid_argument(name, "format", "must be a valid UUID")
    return value


# -- body checks --------------------------------------------------------------------------
async def read_json(request: Request) -> JSON:
    """The request body as a JSON object ({} when empty); malformed JSON is a 400."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid_argument("body", "format", "request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise errors.invalid_argument("body", "format", "request body must be a JSON object")
    return data


class Fields:
    """Typed reads of a JSON object that collect every problem into one 400."""

    def __init__(self, data: JSON, prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix
        self.details: list[JSON] = []

    def fail(self, name: str, reason: str, help_message: str) -> None:
        """Record a problem with a field."""
        self.details.append(errors.detail(self.prefix + name, reason, help_message))

    def _get(self, name: str, kind: type | tuple[type, ...], label: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(name, "required", "required key not provided")
            return None
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            self.fail(name, "format", f"must be {label}")
            return None
        if not isinstance(value, kind):
            self.fail(name, "format", f"must be {label}")
            return None
        return value

    def str(self, name: str, *, required: bool = False, default: str | None = None) -> Any:
        """A string field."""
        value = self._get(name, str, "a string", required)
        if required and value == "":
            self.fail(name, "required", "must not be empty")
        return default if value is None else value

    def uuid(self, name: str, *, required: bool = False) -> str | None:
        """A UUID string field."""
        value = self._get(name, str, "a UUID", required)
        if value is not None and not is_uuid(value):
            self.fail(name, "format", "must be a valid UUID")
            return None
        return value

    def bool(self, name: str, default: bool | None = None) -> Any:
        """A boolean field."""
        value = self._get(name, bool, "a boolean", False)
        return default if value is None else value

    def int(
        self,
        name: str,
        default: int | None = None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        required: bool = False,
    ) -> Any:
        """An integer field with optional bounds."""
        value = self._get(name, int, "an integer", required)
        if value is None:
            return default
        if minimum is not None and value < minimum:
            self.fail(name, "constraint", f"must be at least {minimum}")
        elif maximum is not None and value > maximum:
            self.fail(name, "constraint", f"must be at most {maximum}")
        return value

    def number(self, name: str, default: float | None = None) -> float | None:
        """A numeric (int or float) field."""
        value = self._get(name, (int, float), "a number", False)
        return default if value is None else float(value)

    def str_list(self, name: str) -> list[str] | None:
        """A list of strings."""
        value = self._get(name, list, "a list of strings", False)
        if value is not None and not all(isinstance(v, str) for v in value):
            self.fail(name, "format", "must be a list of strings")
            return None
        return value

    def obj(self, name: str) -> JSON | None:
        """A nested object."""
        return self._get(name, dict, "an object", False)

    def list(self, name: str) -> list[Any] | None:
        """A list of anything."""
        return self._get(name, list, "a list", False)

    def choice(self, name: str, allowed: Sequence[str], default: str | None = None) -> Any:
        """A string among ``allowed``."""
        value = self.str(name)
        if value is not None and value not in allowed:
            self.fail(name, "constraint", f"must be one of {list(allowed)}")
            return default
        return default if value is None else value

    def check(self) -> None:
        """Raise the collected problems as one ``invalid_arguments``."""
        if self.details:
            raise errors.invalid_arguments(self.details)


def project_from(fields: Fields, *names: str) -> str:
    """The project named by the first present field among ``names`` (else the default)."""
    for name in names:
        value = fields.uuid(name)
        if value:
            return value
    return DEFAULT_PROJECT_ID


# -- queries ------------------------------------------------------------------------------
def query_int(request: Request, name: str, default: int, minimum: int, maximum: int) -> int:
    """An integer query parameter within bounds."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.invalid_argument(name, "format", "must be an integer") from None
    if not minimum <= value <= maximum:
        raise errors.invalid_argument(
            name, "constraint", f"must be between {minimum} and {maximum}"
        )
    return value


TRUE_VALUES = frozenset({"1", "t", "T", "TRUE", "true", "True"})
FALSE_VALUES = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def query_bool(request: Request, name: str, *, required: bool = False) -> bool | None:
    """A boolean query parameter, parsed like Go's ``strconv.ParseBool``."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if required:
            raise errors.invalid_argument(name, "required", "required key not provided")
        return None
    if raw in TRUE_VALUES:
        return True
    if raw in FALSE_VALUES:
        return False
    raise errors.invalid_argument(name, "format", "must be a boolean")


def query_tags(request: Request, *, comma_separated: bool) -> list[str]:
    """The ``tags`` filter: comma-joined (Instance v1) or repeated (other APIs)."""
    values = request.query_params.getlist("tags")
    if comma_separated:
        return [t for v in values for t in v.split(",") if t]
    return [v for v in values if v]


def matches_common(
    request: Request,
    record: Record,
    *,
    project_param: str,
    org_param: str,
    tags: list[str],
    all_tags: bool = True,
) -> bool:
    """Filter on project, organization, name (substring, case-insensitive) and tags."""
    params = request.query_params
    project = params.get(project_param)
    if project and record.project_id != project:
        return False
    org = params.get(org_param)
    if org and record.data.get("organization_id", record.project_id) != org:
        return False
    name = params.get("name")
    if name and name.lower() not in record.name.lower():
        return False
    if tags:
        present = set(record.tags)
        hit = all(t in present for t in tags) if all_tags else any(t in present for t in tags)
        if not hit:
            return False
    return True


def order(records: list[Record], order_by: str | None, default_desc: bool = False) -> list[Record]:
    """Sort by creation date (or name) following ``order_by``/``order`` values."""
    value = order_by or ("creation_date_desc" if default_desc else "created_at_asc")
    key: Callable[[Record], Any] = (
        (lambda r: r.name) if value.startswith("name") else (lambda r: (r.created_at, r.seq))
    )
    return sorted(records, key=key, reverse=value.endswith("_desc"))


def page_of(items: list[T], page: int, size: int) -> list[T]:
    """One page (1-based) of a list."""
    start = (page - 1) * size
    return items[start : start + size]


def regional_page(request: Request, key: str, items: list[JSON], default_size: int = 20) -> JSON:
    """A regional-API list body: one page plus ``total_count``."""
    page = query_int(request, "page", 1, 1, 1_000_000)
    size = query_int(request, "page_size", default_size, 1, 100)
    return {key: page_of(items, page, size), "total_count": len(items)}


def instance_page(request: Request, key: str, items: list[JSON], link_path: str) -> Response:
    """An Instance v1 list: body with the array only, total in ``X-Total-Count`` + ``Link``."""
    page = query_int(request, "page", 1, 1, 1_000_000)
    per_page = query_int(request, "per_page", 50, 1, 100)
    total = len(items)
    last = math.ceil(total / per_page)
    others = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("page", "per_page")
    ]
    extra = ("&" + urlencode(others)) if others else ""

    def link(n: int, rel: str) -> str:
        return f'<{link_path}?page={n}&per_page={per_page}{extra}>; rel="{rel}"'

    links = [link(page + 1, "next")] if page < last else []
    links.append(link(last, "last"))
    headers = {"X-Total-Count": str(total), "Link": ", ".join(links)}
    return json_response({key: page_of(items, page, per_page)}, headers=headers, python_style=True)
