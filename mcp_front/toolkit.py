"""Declaring tools: a pydantic input model, a handler, annotations; errors become envelopes."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp.types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import BaseModel, ConfigDict

from mcp_front import confirmation, envelope
from mcp_front.bounded import bound
from mcp_front.errors import ToolInputError, error_message
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

    @property
    def changes_nothing(self) -> bool:
        """True when the tool changes nothing, in Scaleway or on this machine."""
        return self.read_only and not self.writes_local_files

    def annotations(self) -> ToolAnnotations:
        """The MCP tool annotations (``readOnlyHint`` also false for local file writers)."""
        return ToolAnnotations(
            title=self.title,
            read_only_hint=self.changes_nothing,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent or self.read_only,
            open_world_hint=self.open_world,
        )


def scaleway(runtime: Runtime) -> ScalewayClient:
    """The Scaleway adapter of the runtime."""
    client = runtime.services.scaleway
    if client is None:
        raise ToolInputError("configuration", "the Scaleway adapter is not configured")
    return client


def build_tool(spec: ToolSpec, source: RuntimeSource) -> Tool:
    """An MCP tool whose advertised schema is the spec's model, validated by us.

    The SDK validates arguments against the function signature; ours accepts anything so
    that our own validation produces the error envelope naming the field.
    """

    async def entry(ctx: Context, **arguments: Any) -> CallToolResult | InputRequiredResult:
        # None means "not given": clients send null for omitted optional arguments.
        given = {k: v for k, v in arguments.items() if v is not None}
        try:
            confirmed = confirmation.pop_confirm(given) if spec.destructive else False
            args = parse_arguments(spec.input_model, given)
            runtime = await source.get()
            if spec.destructive:
                refusal = await confirmation.confirm_destruction(
                    spec, args, confirmed, runtime, ctx
                )
                if refusal is not None:
                    return refusal
            settings = source.settings
            # A read answers within the client's window; only jobs wait out rate limits.
            with answer_within(settings.wait_budget_s) if spec.read_only else nullcontext():
                answer = link_job(await spec.handler(args, runtime, ctx))
            return bound(answer, settings.data_dir / "answers", settings.answer_max_kb * 1024)
        except Exception as exc:
            return envelope.error(error_message(exc, source.settings.secret_values()))

    parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
    parameters += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Any)
        for name in spec.input_model.model_fields
    ]
    entry.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    tool = Tool.from_function(
        entry,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        annotations=spec.annotations(),
    )
    schema = compact_schema(spec.input_model.model_json_schema())
    tool.parameters = confirmation.with_confirm_field(schema) if spec.destructive else schema
    # Let unknown arguments through the SDK's own check, so that the spec's model (which
    # forbids them) names them in the error envelope instead of them vanishing silently.
    tool.fn_metadata.arg_model = _PassThroughArguments
    return tool


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


class _PassThroughArguments(ArgModelBase):
    """Accepts any arguments and hands every one of them to the tool function."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    def model_dump_one_level(self) -> dict[str, Any]:
        return dict(self.__pydantic_extra__ or {})
