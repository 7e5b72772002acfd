"""Tool input pieces the product tools share: ids, names, tags, zone and region, pages.

Field types carry their check (``Name``, ``Tags``, ``uuid_of("a server")``) so that a model
states a field once; descriptions stay with each model, as each tool words them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from mcp_front.config import UUID_RE, region_problem, zone_problem
from mcp_front.errors import ToolInputError
from mcp_front.runtime import Runtime
from mcp_front.toolkit import ToolInput

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")
NAME_RULE = "1-63 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"
RESERVED_TAG_PREFIX = "job:"


def check_uuid(value: str, what: str) -> str:
    """``value`` if it is a UUID; else an error naming the field."""
    if not UUID_RE.match(value or ""):
        raise ValueError(f"must be {what} id (a UUID such as 11111111-2222-3333-4444-555555555555)")
    return value.lower()


def check_name(value: str) -> str:
    """A resource name following the Scaleway naming rules we accept."""
    if not NAME_RE.match(value):
        raise ValueError(f"{value!r} is not a valid name; use {NAME_RULE}")
    return value


def check_tags(values: list[str]) -> list[str]:
    """Tags: at most 20, each 1-128 characters, no commas, not the reserved ``job:`` prefix."""
    if len(values) > 20:
        raise ValueError("at most 20 tags")
    for tag in values:
        if not tag or len(tag) > 128 or "," in tag:
            raise ValueError(f"tag {tag!r} must be 1-128 characters without commas")
        if tag.startswith(RESERVED_TAG_PREFIX):
            raise ValueError(f"tag {tag!r}: the prefix {RESERVED_TAG_PREFIX!r} is reserved")
    return values


def check_tags_filter(tags: list[str]) -> None:
    """Tag filters are sent comma-separated: a comma inside one would change its meaning."""
    for tag in tags:
        if "," in tag or not tag:
            raise ToolInputError("tags", f"tag {tag!r} must be non-empty and without commas")


def uuid_of(what: str) -> AfterValidator:
    """The check of a required id field: ``Annotated[str, uuid_of("a server")]``."""
    return AfterValidator(lambda value: check_uuid(value, what))


def optional_uuid_of(what: str) -> AfterValidator:
    """The check of an optional id field; an empty value is left as it is."""
    return AfterValidator(lambda value: check_uuid(value, what) if value else value)


Name = Annotated[str, AfterValidator(check_name)]
Tags = Annotated[list[str], AfterValidator(check_tags)]


def known_zone(zone: str, field: str = "zone") -> str:
    """``zone`` if the SDK knows it; else ToolInputError naming ``field`` and the valid zones."""
    problem = zone_problem(zone)
    if problem is not None:
        raise ToolInputError(field, problem)
    return zone


def known_region(region: str, field: str = "region") -> str:
    """``region`` if the SDK knows it; else ToolInputError naming ``field`` and the valid ones."""
    problem = region_problem(region)
    if problem is not None:
        raise ToolInputError(field, problem)
    return region


def zone_of(runtime: Runtime, zone: str | None) -> str:
    """The zone argument (or the configured default), checked against the known zones."""
    return known_zone(zone or runtime.settings.credentials.zone)


def region_of(runtime: Runtime, region: str | None) -> str:
    """The region argument (or the configured default), checked against the known regions."""
    return known_region(region or runtime.settings.credentials.region)


def page_field() -> Any:
    """The ``page`` field of a paginated list."""
    return Field(1, ge=1, description="Page number.")


def per_page_field(items: str = "Items") -> Any:
    """The ``per_page`` field of a paginated list of ``items``."""
    return Field(20, ge=1, le=100, description=f"{items} per page.")


class ZoneInput(ToolInput):
    """Arguments of a zoned resource."""

    zone: str | None = Field(None, description="Zone, e.g. fr-par-1.")


class RegionInput(ToolInput):
    """Arguments of a regional resource."""

    region: str | None = Field(None, description="Region, e.g. fr-par.")


class PageInput(RegionInput):
    """A page of a regional list."""

    page: int = page_field()
    per_page: int = per_page_field()


class NamedInput(RegionInput):
    """A new regional resource's name and tags."""

    name: Name = Field(description="Name: 1-63 letters, digits, '.', '_' or '-'.")
    tags: Tags = Field(default_factory=list, description="Tags for the resource.")


def every_zone_field() -> Any:
    """The ``zone`` field of a list that can span every zone."""
    return Field(None, description='Zone, e.g. fr-par-1, or "all".')


def every_region_field() -> Any:
    """The ``region`` field of a list that can span every region."""
    return Field(None, description='Region, e.g. fr-par, or "all".')
