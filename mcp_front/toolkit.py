"""Declaring tools: a pydantic input model, a handler, annotations; errors become envelopes.

The tools are served through the SDK's public surface: ``ConnectorServer`` overrides
``MCPServer.list_tools`` and ``MCPServer.call_tool``, so the advertised input schema is the
spec's model and our own validation names every bad field in the error envelope.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, InputRequiredResult, ToolAnnotations, ToolExecution
from mcp.types import Tool as MCPTool
from pydantic import BaseModel, ConfigDict

from mcp_front import confirmation, envelope
from mcp_front.bounded import bound
from mcp_front.errors import ToolInputError, error_message
from mcp_front.job_wait import REQUEST_ID, submission_scope
from mcp_front.principal import calling_as, principal_of
from mcp_front.resources import link_job
from mcp_front.runtime import Runtime, RuntimeSource
from mcp_front.tool_groups import ToolGroup
from workers.scaleway.ratelimit import answer_within

if TYPE_CHECKING:
    from workers.scaleway.client import ScalewayClient


class ToolInput(BaseModel):
    """Base of tool input models: unknown fields are refused, numbers and booleans are strict
    (``true`` is not 1, ``"5"`` is not 5) and NaN or infinity is never a number."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def parse_arguments(model: type[BaseModel], arguments: dict[str, Any]) -> BaseModel:
    """``arguments`` validated as the JSON they arrived as: strict, yet ISO times and enum
    names are read from their strings as JSON has them. Raises ValidationError."""
    return model.model_validate_json(json.dumps(arguments))


Handler = Callable[[Any, Runtime, Context], Awaitable[CallToolResult]]

# Every tool answers with the one envelope (mcp_front/envelope.py) as structured content.
# The schema holds what a client can rely on, its discriminator; the rest (data, job,
# message) depends on the tool and the outcome. Every schema is read by the model on each
# turn, and the tool list has a 40,000-character budget (docs/benchmarks.md).
ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"status": {"enum": [envelope.SUCCESS, envelope.ERROR]}},
    "required": ["status"],
}
# Described once, in the server instructions, rather than in every job tool's schema.
REQUEST_ID_SCHEMA: dict[str, Any] = {"type": "string"}


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool: name, words for the model, input model, handler and hints."""

    name: str
    title: str
    description: str
    input_model: type[BaseModel]
    handler: Handler
    group: ToolGroup
    read_only: bool
    destructive: bool = False
    idempotent: bool = False
    open_world: bool = True
    # Writes files on this machine (kubeconfigs, downloads): not read-only, whatever the cloud.
    writes_local_files: bool = False
    # A destructive tool's sentence on what goes and what depends on it (confirmation.py).
    describe: confirmation.Describer | None = None
    # Mutations enqueue a job (and so take request_id and tasks); cancel_job does not.
    enqueues: bool = True

    @property
    def changes_nothing(self) -> bool:
        """True when the tool changes nothing, in Scaleway or on this machine."""
        return self.read_only and not self.writes_local_files

    @property
    def idempotent_effect(self) -> bool:
        """True when calling again with the same arguments changes nothing more."""
        return self.idempotent or self.read_only

    @property
    def starts_job(self) -> bool:
        """Whether a call enqueues a job."""
        return self.enqueues and not self.read_only

    def annotations(self) -> ToolAnnotations:
        """The MCP tool annotations (``readOnlyHint`` also false for local file writers)."""
        # Only what differs from the spec's defaults is said (schema.ts ToolAnnotations): the
        # tool's title is the top-level one; destructive and idempotent mean something only
        # when readOnlyHint is false; idempotent defaults to false, open world to true. The
        # destructive hint defaults to true, so a mutation always says it.
        read_only = self.changes_nothing
        return ToolAnnotations(
            read_only_hint=read_only,
            destructive_hint=None if read_only else self.destructive,
            idempotent_hint=None if read_only or not self.idempotent_effect else True,
            open_world_hint=None if self.open_world else False,
        )

    def input_schema(self) -> dict[str, Any]:
        """The advertised input schema: the model's, plus ``request_id`` on job tools."""
        schema: dict[str, Any] = compact_schema(self.input_model.model_json_schema())
        # Unknown arguments are refused by our validation, whose envelope names them.
        schema.pop("additionalProperties", None)
        if self.destructive:
            schema = confirmation.with_confirm_field(schema)
        if self.starts_job:
            schema["properties"] = {**schema.get("properties", {}), REQUEST_ID: REQUEST_ID_SCHEMA}
        return schema

    def mcp_tool(self) -> MCPTool:
        """The tool as tools/list shows it."""
        return MCPTool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=self.input_schema(),
            output_schema=ENVELOPE_SCHEMA,
            annotations=self.annotations(),
            # Never "required": clients without tasks keep the inline-or-job-id answer.
            execution=ToolExecution(task_support="optional") if self.starts_job else None,
        )


def compact_schema(node: Any) -> Any:
    """A JSON schema without pydantic's generated titles, optional fields as their plain type.

    Every tool's schema is read by the model on each turn: titles repeat the field names,
    and ``anyOf [T, null]`` with a null default says no more than leaving the field out
    (a null argument means "not given" here).
    """
    if isinstance(node, list):
        return [compact_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    # A property called "title" maps to an object, so only the string titles go.
    out = {
        key: compact_schema(value)
        for key, value in node.items()
        if not (key == "title" and isinstance(value, str))
    }
    options = out.get("anyOf")
    if (
        isinstance(options, list)
        and len(options) == 2
        and {"type": "null"} in options
        and "default" in out
        and out["default"] is None
    ):
        (kept,) = [o for o in options if o != {"type": "null"}]
        rest = {k: v for k, v in out.items() if k not in ("anyOf", "default")}
        return {**kept, **rest}
    return out


def scaleway(runtime: Runtime) -> ScalewayClient:
    """The Scaleway adapter of the runtime."""
    client = runtime.services.scaleway
    if client is None:
        raise ToolInputError("configuration", "the Scaleway adapter is not configured")
    return client


async def call_spec(
    spec: ToolSpec, source: RuntimeSource, arguments: dict[str, Any], ctx: Context
) -> CallToolResult | InputRequiredResult:
    """Validate ``arguments``, confirm a destruction, run the handler: always an envelope, or
    the question a 2026 client answers before anything is destroyed."""
    # None means "not given": clients send null for omitted optional arguments.
    given = {k: v for k, v in arguments.items() if v is not None}
    try:
        request_id = given.pop(REQUEST_ID, None) if spec.starts_job else None
        if request_id is not None and not (
            isinstance(request_id, str) and 0 < len(request_id) <= 100
        ):
            raise ToolInputError(REQUEST_ID, "must be a string of 1 to 100 characters")
        confirmed = confirmation.pop_confirm(given) if spec.destructive else False
        args = parse_arguments(spec.input_model, given)
        runtime = await source.get()
        if spec.destructive:
            refusal = await confirmation.confirm_destruction(spec, args, confirmed, runtime, ctx)
            if refusal is not None:
                return refusal
        settings = source.settings
        with submission_scope() as submission:
            submission.request_id = request_id
            submission.principal = _principal(ctx)
            # A read answers within the client's window; only jobs wait out rate limits.
            with (
                calling_as(submission.principal),
                answer_within(settings.wait_budget_s) if spec.read_only else nullcontext(),
            ):
                answer = link_job(await spec.handler(args, runtime, ctx))
        return bound(answer, settings.data_dir / "answers", settings.answer_max_kb * 1024)
    except Exception as exc:
        return envelope.error(error_message(exc, source.settings.secret_values()))


def _principal(ctx: Context) -> str | None:
    try:
        return principal_of(ctx.headers)
    except ValueError:  # a context outside any request: a direct, in-process call
        return None


class ConnectorServer(MCPServer):
    """An MCPServer whose tools are our specs, listed and called through its public methods."""

    def __init__(
        self,
        specs: Sequence[ToolSpec],
        source: RuntimeSource,
        *,
        hidden: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.specs = {s.name: s for s in specs}
        # Tools this server has but does not offer, each with why (read-only mode, groups).
        self.hidden = dict(hidden or {})
        self.source = source
        self.listed = [s.mcp_tool() for s in specs]

    async def read_resource(self, uri: Any, context: Context | None = None) -> Any:
        """Read a resource on behalf of the caller: a job is shown to its principal only."""
        with calling_as(_principal(context) if context is not None else None):
            return await super().read_resource(uri, context)

    async def list_tools(self) -> list[MCPTool]:
        """Our tools, then any registered through the SDK (extensions, plug-ins)."""
        return [*self.listed, *await super().list_tools()]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context | None = None
    ) -> Any:
        """Run one of our tools, or defer to the SDK's registry for any other."""
        spec = self.specs.get(name)
        if spec is None and name in self.hidden:
            return envelope.error(self.hidden[name])
        if spec is None:
            if name not in {tool.name for tool in await super().list_tools()}:
                # The envelope every tool answers with, not the SDK's bare "Unknown tool".
                return envelope.error(
                    f"unknown tool {name[:100]!r}: tools/list shows the tools this server "
                    "offers (more with --tools, see the README)",
                    details={"field": "name"},
                )
            return await super().call_tool(name, arguments, context)
        ctx = context if context is not None else Context(mcp_server=self)
        return await call_spec(spec, self.source, arguments, ctx)
