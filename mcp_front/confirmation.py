"""Confirmation before destruction: ask the user by elicitation, else require ``confirm: true``.

Every destructive tool passes through ``confirm_destruction`` before its handler runs, so no
job exists until the user agreed. A client that can elicit is asked (in-call on handshake-era
connections, through an ``InputRequiredResult`` round on 2026-07-28 ones: the SDK's resolver
machinery carries both); ``confirm: true`` from the model does not replace that question. A
client that cannot elicit must pass ``confirm: true``. ``SCW_MCP_CONFIRM=never`` skips it all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve, build_resolver_plans, resolve_arguments
from mcp.types import CallToolResult, InputRequiredResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field

from mcp_front import envelope
from mcp_front.config import ConfirmMode
from mcp_front.errors import ToolInputError
from mcp_front.runtime import Runtime

if TYPE_CHECKING:
    from mcp_front.toolkit import ToolSpec

CONFIRM_FIELD = "confirm"

Describer = Callable[[Any, Runtime], Awaitable[str]]
"""A destructive tool's hook: what goes and what depends on it, as one sentence (reads only)."""

CONFIRM_SCHEMA: dict[str, Any] = {
    "type": "boolean",
    "description": "true once the user agreed (clients without elicitation).",
}


class Confirmation(BaseModel):
    """The elicitation form: one yes/no question."""

    confirm: bool = Field(title="Go ahead", description="Yes, do it.")


def with_confirm_field(schema: dict[str, Any]) -> dict[str, Any]:
    """A destructive tool's input schema with the optional ``confirm`` flag added."""
    properties = {**schema.get("properties", {}), CONFIRM_FIELD: CONFIRM_SCHEMA}
    return {**schema, "properties": properties}


def pop_confirm(arguments: dict[str, Any]) -> bool:
    """Remove ``confirm`` from the arguments; its value (ToolInputError unless a boolean)."""
    value = arguments.pop(CONFIRM_FIELD, False)
    if not isinstance(value, bool):
        raise ToolInputError(CONFIRM_FIELD, f"must be true or false, got {str(value)[:40]!r}")
    return value


async def confirm_destruction(
    spec: ToolSpec, args: BaseModel, confirmed: bool, runtime: Runtime, ctx: Context
) -> CallToolResult | InputRequiredResult | None:
    """None to go ahead; else the answer to return instead (declined, or a question round)."""
    if runtime.settings.confirm is ConfirmMode.NEVER:
        return None
    # 2026-07-28 elicits through an InputRequiredResult round instead of a request.
    modern = ctx.protocol_version in MODERN_PROTOCOL_VERSIONS
    if not _can_elicit(ctx, modern):
        if confirmed:
            return None
        what = await describe(spec, args, runtime)
        return envelope.error(
            f"{CONFIRM_FIELD}: {spec.name} needs the user's confirmation: {what} This client "
            f"cannot ask the user (no elicitation support), so ask them yourself and call "
            f"again with {CONFIRM_FIELD}: true once they agreed.",
            details={"field": CONFIRM_FIELD, "would": what},
        )
    what = await describe(spec, args, runtime)
    outcome = await _ask(ctx, f"{what} Go ahead?")
    if isinstance(outcome, InputRequiredResult):
        return outcome
    if isinstance(outcome, AcceptedElicitation) and outcome.data.confirm:
        return None
    return envelope.error(
        f"the user declined: {spec.name} did nothing and no job was created. ({what})",
        details={"declined": True},
    )


async def describe(spec: ToolSpec, args: BaseModel, runtime: Runtime) -> str:
    """The tool's own description of what goes, or a plain one from its arguments."""
    if spec.describe is not None:
        return await spec.describe(args, runtime)
    given = args.model_dump(exclude_defaults=True)
    shown = ", ".join(f"{k}={v}" for k, v in given.items())
    return f"{spec.title}: {shown}." if shown else f"{spec.title}."


def _can_elicit(ctx: Context, modern: bool) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    # A bare `elicitation: {}` (before modes existed) means form support; url-only does not.
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return False
    # Handshake-era elicitation is a server-to-client request: the channel must carry one.
    return modern or ctx.session.can_send_request


async def _ask(ctx: Context, message: str) -> ElicitationResult[Confirmation] | InputRequiredResult:
    """The user's answer, or the question round a 2026-07-28 client must answer first."""

    async def ask_user() -> Elicit[Confirmation]:
        return Elicit(message, Confirmation)

    wanted = {"answer": (Resolve(ask_user), True)}
    resolved = await resolve_arguments(wanted, build_resolver_plans(wanted, set()), {}, ctx)
    if isinstance(resolved, InputRequiredResult):
        return resolved
    answer: ElicitationResult[Confirmation] = resolved["answer"]
    return answer
