"""The batch tool (group ``batch``): create N resources as one parent job with N children.

``create_batch`` takes a create tool's name, a template of its arguments, and either a count
with a name pattern or one override per child. Every child's arguments go through that
tool's own validation (input model, then the checks against the API) and the quota before
any job exists; a bad child is named by its index and field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import BaseModel, Field, ValidationError, model_validator

from mcp_front.errors import ToolInputError, validation_problems
from mcp_front.job_wait import submit_and_wait
from mcp_front.price_note import with_price
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolInput, ToolSpec, parse_arguments, scaleway
from mcp_front.tools.batch_quota import PRIVATE_NETWORKS, SERVERS, QuotaRule, check_quota
from mcp_front.tools.instance import CreateInstanceInput, server_params
from mcp_front.tools.network import CreatePrivateNetworkInput, private_network_params
from mcp_front.tools.storage import bucket_params
from mcp_front.tools.storage_inputs import CreateBucketInput
from workers.operations.batch import (
    CREATE_BATCH,
    DEFAULT_CONCURRENCY,
    MAX_CHILDREN,
    MAX_CONCURRENCY,
    BatchChild,
    CreateBatchParams,
)
from workers.operations.instance import CREATE_SERVER, CreateServerParams
from workers.operations.network import CREATE_PRIVATE_NETWORK
from workers.operations.storage import CREATE_BUCKET
from workers.pricing.estimate import ItemKind, PlanItem
from workers.scaleway.errors import InvalidRequest
from workers.steps import AnyOperation

BatchTool = Literal["create_instance", "create_private_network", "create_bucket"]


@dataclass(frozen=True, slots=True)
class BatchTarget:
    """A create tool a batch can repeat: its input model, how its job's parameters are
    built and checked, the operation, and the quota its children count against."""

    input_model: type[ToolInput]
    params: Callable[[Any, Runtime], Awaitable[BaseModel]]
    operation: AnyOperation
    quota: QuotaRule | None
    # What one child costs an hour, when it costs anything by the hour.
    price: Callable[[Any], PlanItem] | None = None


def _server_price(params: CreateServerParams) -> PlanItem:
    return PlanItem(ItemKind.INSTANCE, params.zone, params.commercial_type)


TARGETS: dict[str, BatchTarget] = {
    "create_instance": BatchTarget(
        CreateInstanceInput, server_params, CREATE_SERVER, SERVERS, _server_price
    ),
    "create_private_network": BatchTarget(
        CreatePrivateNetworkInput, private_network_params, CREATE_PRIVATE_NETWORK, PRIVATE_NETWORKS
    ),
    "create_bucket": BatchTarget(CreateBucketInput, bucket_params, CREATE_BUCKET, None),
}


class CreateBatchInput(ToolInput):
    tool: BatchTool = Field(description="The create tool every child runs.")
    template: dict[str, Any] = Field(description="That tool's arguments, shared by every child.")
    count: int | None = Field(
        None, ge=1, le=MAX_CHILDREN, description="How many children, named by name_pattern."
    )
    name_pattern: str = Field(
        "{name}-{n}",
        max_length=100,
        description="With count: child names; {n} is 1..count, {name} the template's name.",
    )
    items: list[dict[str, Any]] | None = Field(
        None,
        min_length=1,
        max_length=MAX_CHILDREN,
        description="Instead of count: per-child arguments over the template (name each).",
    )
    concurrency: int = Field(
        DEFAULT_CONCURRENCY, ge=1, le=MAX_CONCURRENCY, description="Children active at once."
    )

    @model_validator(mode="after")
    def _one_way(self) -> CreateBatchInput:
        if (self.count is None) == (self.items is None):
            raise ValueError(f"count: give count (1-{MAX_CHILDREN}) or items, not both")
        if self.count is not None and "{n}" not in self.name_pattern:
            raise ValueError("name_pattern: must contain {n} so that every child's name differs")
        return self


def child_arguments(args: CreateBatchInput) -> list[dict[str, Any]]:
    """Each child's arguments: the template, then its name or its overrides."""
    if args.items is not None:
        return [{**args.template, **item} for item in args.items]
    base = str(args.template.get("name", "batch"))
    return [
        {**args.template, "name": args.name_pattern.replace("{name}", base).replace("{n}", str(n))}
        for n in range(1, (args.count or 0) + 1)
    ]


async def child_params(
    target: BatchTarget, arguments: dict[str, Any], runtime: Runtime, index: int
) -> BaseModel:
    """One child's job parameters, checked as its tool checks them; ToolInputError naming
    ``children[index]`` and the field otherwise."""
    where = f"children[{index}]"
    try:
        tool_args = parse_arguments(target.input_model, arguments)
        return await target.params(tool_args, runtime)
    except ValidationError as exc:
        raise ToolInputError(where, "; ".join(validation_problems(exc))) from None
    except ToolInputError as exc:
        raise ToolInputError(f"{where}.{exc.field}", str(exc).split(": ", 1)[-1]) from None
    except InvalidRequest as exc:  # a value the API's offer refuses (type, image...)
        field = next(iter(exc.fields), "")
        raise ToolInputError(f"{where}.{field}" if field else where, str(exc)) from None


async def create_batch(args: CreateBatchInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Check every child and the quota, then enqueue one batch job (it enqueues the children)."""
    target = TARGETS[args.tool]
    children = [
        await child_params(target, arguments, runtime, i)
        for i, arguments in enumerate(child_arguments(args))
    ]
    names: dict[str, int] = {}
    for i, child in enumerate(children):
        name = str(getattr(child, "name", ""))
        if name in names:
            raise ToolInputError(
                f"children[{i}].name", f"{name!r} is also the name of children[{names[name]}]"
            )
        names[name] = i
    if target.quota is not None:
        field = "count" if args.count is not None else "items"
        await check_quota(scaleway(runtime), target.quota, children, field)
    params = CreateBatchParams(
        operation=target.operation.name,
        tool=args.tool,
        children=[
            BatchChild(label=name, params=child.model_dump(mode="json"))
            for name, child in zip(names, children, strict=True)
        ],
        concurrency=args.concurrency,
    )
    result = await submit_and_wait(runtime, ctx, CREATE_BATCH, params)
    if target.price is None:
        return result
    return await with_price(runtime, result, [target.price(child) for child in children])


TOOLS = [
    ToolSpec(
        name="create_batch",
        title="Create a batch",
        description=(
            "Create N instances, private networks or buckets as one job with a child job each "
            "(at most `concurrency` at once). Checks every child and the quota first; the "
            "result reports each child. cancel_job stops the children not started."
        ),
        input_model=CreateBatchInput,
        handler=create_batch,
        group=ToolGroup.BATCH,
        read_only=False,
    ),
]
