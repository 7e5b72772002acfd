"""Planning tools (group ``planning``): what a set of resources costs, before or after it exists.

``estimate_cost`` prices planned items and, when asked, what already runs in a region, with
the Product Catalog's list prices (the Instance API's server prices as fallback).
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, model_validator

from mcp_front import envelope
from mcp_front.inputs import optional_uuid_of, region_of, zone_of
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolInput, ToolSpec, scaleway
from workers.pricing.catalog import existing_items, price_plan
from workers.pricing.estimate import ItemKind, PlanItem
from workers.scaleway.network import region_zones


class PlannedItem(ToolInput):
    """One line of a plan."""

    kind: ItemKind = Field(
        description="instance, k8s_pool, database, load_balancer or object_storage."
    )
    type: str | None = Field(
        None,
        description="Offer: Instance/node type (DEV1-S), DB node type (db-dev-s), LB type (LB-S).",
    )
    count: int = Field(1, ge=1, le=1000, description="How many (nodes for k8s_pool).")
    zone: str | None = Field(None, description="Zone of zoned kinds.")
    region: str | None = Field(None, description="Region of database/object_storage.")
    volume_gb: float = Field(0, ge=0, le=100_000, description="database: storage GB each.")
    volume_type: str = Field("sbs_5k", description="database: sbs_5k or lssd.")
    ha: bool = Field(False, description="database: with a standby node.")
    storage_gb: float = Field(0, ge=0, le=1e9, description="object_storage: GB stored.")
    storage_class: str = Field(
        "standard", description="object_storage: standard, onezone_ia, glacier."
    )
    egress_gb: float = Field(0, ge=0, le=1e9, description="object_storage: GB downloaded a month.")
    requests: int = Field(0, ge=0, description="object_storage: requests a month.")

    @model_validator(mode="after")
    def _typed(self) -> PlannedItem:
        if self.kind is not ItemKind.OBJECT_STORAGE and not self.type:
            raise ValueError(f"type: a {self.kind.value} needs its offer type")
        return self


class EstimateInput(ToolInput):
    items: list[PlannedItem] = Field(
        default_factory=list, max_length=100, description="What you plan to create."
    )
    existing_region: str | None = Field(
        None, description="Also price what runs in this region (servers, LBs, pools, databases)."
    )
    project_id: Annotated[str | None, optional_uuid_of("a project")] = Field(
        None, description="Project of the existing resources (default: all you can see)."
    )

    @model_validator(mode="after")
    def _something(self) -> EstimateInput:
        if not self.items and not self.existing_region:
            raise ValueError("items: give items to price, existing_region, or both")
        return self


def plan_item(runtime: Runtime, item: PlannedItem, field: str) -> PlanItem:
    """The priced value of a planned item, its zone or region checked."""
    if item.kind.zoned:
        place = zone_of(runtime, item.zone)
    else:
        place = region_of(runtime, item.region)
    return PlanItem(
        kind=item.kind,
        place=place,
        type=item.type or "",
        count=item.count,
        volume_gb=item.volume_gb,
        volume_type=item.volume_type,
        ha=item.ha,
        storage_gb=item.storage_gb,
        storage_class=item.storage_class,
        egress_gb=item.egress_gb,
        requests=item.requests,
    )


async def estimate_cost(args: EstimateInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Hourly and monthly cost of planned items and, if asked, of a region's resources."""
    client, services = scaleway(runtime), runtime.services
    planned = [plan_item(runtime, item, f"items[{i}]") for i, item in enumerate(args.items)]
    data = await price_plan(client, services.price_cache, services.read_cache, planned)
    if args.existing_region:
        region = region_of(runtime, args.existing_region)
        found = await existing_items(client, region, region_zones(region), args.project_id)
        existing = await price_plan(
            client, services.price_cache, services.read_cache, found, field="existing", strict=False
        )
        data = {
            "currency": data["currency"],
            "hourly": round(data["hourly"] + existing["hourly"], 6),
            "monthly": round(data["monthly"] + existing["monthly"], 2),
            "planned": data,
            "existing": {"region": region, **existing},
        }
    return envelope.success(data, source=runtime.source)


TOOLS = [
    ToolSpec(
        name="estimate_cost",
        title="Estimate cost",
        description=(
            "Hourly and monthly price of planned instances, k8s pools, databases, load "
            "balancers, object storage, and optionally what runs in a region; names the source."
        ),
        input_model=EstimateInput,
        handler=estimate_cost,
        group=ToolGroup.PLANNING,
        read_only=True,
    ),
]
