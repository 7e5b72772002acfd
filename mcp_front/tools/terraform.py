"""``export_terraform`` (group ``planning``): chosen resources, or what a job created, as a
Terraform file of the Scaleway provider with ``import`` blocks, written under the file roots.
"""

from __future__ import annotations

import time

import anyio
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field, model_validator

from jobs.models import JSON, Job
from mcp_front import envelope
from mcp_front.errors import ToolInputError, error_message
from mcp_front.file_roots import FileRoots
from mcp_front.inputs import check_uuid, region_of, zone_of
from mcp_front.runtime import Runtime
from mcp_front.tool_groups import ToolGroup
from mcp_front.toolkit import ToolInput, ToolSpec, scaleway
from workers.errors import OperationError
from workers.operations.database import CREATE_DATABASE
from workers.operations.instance import CREATE_SERVER
from workers.operations.k8s import CREATE_CLUSTER
from workers.operations.lb import CREATE_LB
from workers.operations.network import CREATE_PRIVATE_NETWORK
from workers.operations.storage import CREATE_BUCKET
from workers.scaleway.errors import NotFound
from workers.storage.names import bucket_name_problem
from workers.terraform.document import address, document, unique
from workers.terraform.resources import ExportKind, TfResource, read_resource

MAX_RESOURCES = 50
# Operations whose result ``id`` is a resource the export knows, and its kind.
CREATED_BY = {
    CREATE_SERVER.name: ExportKind.SERVER,
    CREATE_PRIVATE_NETWORK.name: ExportKind.PRIVATE_NETWORK,
    CREATE_CLUSTER.name: ExportKind.CLUSTER,
    CREATE_DATABASE.name: ExportKind.DATABASE,
    CREATE_LB.name: ExportKind.LOAD_BALANCER,
    CREATE_BUCKET.name: ExportKind.BUCKET,
}


class ExportItem(ToolInput):
    """One resource to export."""

    kind: ExportKind = Field(
        description="server, private_network, cluster, database, load_balancer or bucket."
    )
    id: str = Field(description="Resource id (UUID); a bucket's name.")
    zone: str | None = Field(None, description="Zone of a server or LB.")
    region: str | None = Field(None, description="Region of the others.")

    @model_validator(mode="after")
    def _id(self) -> ExportItem:
        if self.kind is ExportKind.BUCKET:
            problem = bucket_name_problem(self.id)
            if problem:
                raise ValueError(f"id: bucket name {problem}")
        else:
            try:
                check_uuid(self.id, f"a {self.kind.value}")
            except ValueError as exc:
                raise ValueError(f"id: {exc}") from None
        return self


class ExportInput(ToolInput):
    resources: list[ExportItem] = Field(
        default_factory=list, max_length=MAX_RESOURCES, description="Resources to export."
    )
    job_id: str | None = Field(None, description="Or: export what this job created.")
    path: str | None = Field(
        None, description="Absolute .tf path under the file roots (default: downloads folder)."
    )
    overwrite: bool = Field(False, description="Replace an existing file.")

    @model_validator(mode="after")
    def _something(self) -> ExportInput:
        if not self.resources and not self.job_id:
            raise ValueError("resources: give resources, a job_id, or both")
        return self


async def _job_items(runtime: Runtime, job_id: str) -> list[ExportItem]:
    """What a job created; for a batch, what each of its children created."""
    job = await runtime.store.get(job_id)
    children = await runtime.store.children(job.id)
    if not children:
        return [_job_item(job)]
    made = [c for c in children if CREATED_BY.get(c.operation) and _created_id(c)]
    if not made:
        raise ToolInputError(
            "job_id", f"batch {job_id} ({job.state.value}): none of its children created anything"
        )
    return [_job_item(child) for child in made]


def _created_id(job: Job) -> str | None:
    kind = CREATED_BY.get(job.operation)
    result = job.result if isinstance(job.result, dict) else {}
    created = result.get("bucket" if kind is ExportKind.BUCKET else "id")
    return str(created) if created else None


def _job_item(job: Job) -> ExportItem:
    kind, created = CREATED_BY.get(job.operation), _created_id(job)
    if kind is None or created is None:
        raise ToolInputError(
            "job_id",
            f"job {job.id} ({job.operation}, {job.state.value}) created nothing exportable; "
            f"exportable jobs: {', '.join(CREATED_BY)}, or a batch of them",
        )
    where = job.params.get("zone") if kind.zoned else job.params.get("region")
    place = {"zone": where} if kind.zoned else {"region": where}
    return ExportItem(kind=kind, id=created, **place)


def _place(runtime: Runtime, item: ExportItem, field: str) -> str:
    if item.kind.zoned:
        return zone_of(runtime, item.zone)
    return region_of(runtime, item.region)


async def export_terraform(args: ExportInput, runtime: Runtime, ctx: Context) -> CallToolResult:
    """Write the file; per resource, its address and import id, or why it is missing."""
    items = list(args.resources)
    if args.job_id:
        items.extend(await _job_items(runtime, args.job_id))
    places = [_place(runtime, item, f"resources[{i}]") for i, item in enumerate(items)]
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    target = args.path or runtime.settings.data_dir / "downloads" / "terraform" / f"{stamp}.tf"
    path = FileRoots.of(runtime.settings).writable("path", target, overwrite=args.overwrite)
    client, secrets = scaleway(runtime), runtime.settings.secret_values()
    storage = runtime.services.storage
    batches: list[list[TfResource]] = []
    missing: list[JSON] = []
    for item, place in zip(items, places, strict=True):
        try:
            batches.append(await read_resource(client, storage, item.kind, item.id, place))
        except NotFound as exc:
            missing.append({"kind": item.kind.value, "id": item.id, "error": str(exc)})
        except OperationError as exc:
            missing.append(
                {"kind": item.kind.value, "id": item.id, "error": error_message(exc, secrets)}
            )
    if not batches:
        return envelope.error(
            "nothing to export: no resource could be read", details={"missing": missing}
        )
    resources = unique(batches)
    header = f"Written by scaleway-mcp-connector export_terraform at {stamp} UTC."
    await anyio.Path(path).write_text(document(resources, header), encoding="utf-8")
    data: JSON = {
        "path": str(path),
        "resources": [{"address": address(r), "import_id": r.import_id} for r in resources],
        "variables": [v for r in resources for v in r.variables],
        "hint": "terraform init && terraform plan (set the variables, e.g. with -var)",
    }
    if missing:
        data["missing"] = missing
    return envelope.success(data, source=runtime.source)


TOOLS = [
    ToolSpec(
        name="export_terraform",
        title="Export Terraform",
        description=(
            "Write resources (or what a job created) as Scaleway-provider Terraform with import "
            "blocks to a .tf file; returns its path. Passwords become variables."
        ),
        input_model=ExportInput,
        handler=export_terraform,
        group=ToolGroup.PLANNING,
        read_only=True,
        writes_local_files=True,
    ),
]
