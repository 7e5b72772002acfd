"""Prompts: the server offers none yet; asking for one by name is the client's mistake.

MCPServer 2.3 answers an unknown prompt with an internal error (code 0 or -32603) and logs
a traceback; this answers ``-32602`` (invalid params) naming what exists, and logs nothing.
"""

from __future__ import annotations

from typing import Any, cast

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, GetPromptRequestParams, GetPromptResult


def install(server: MCPServer) -> None:
    """Serve ``prompts/get`` so that an unknown name is an invalid-params error."""
    lowlevel = server._lowlevel_server  # no public seam for a spec method's handler
    entry = lowlevel.get_request_handler("prompts/get")
    if entry is None:
        return
    delegate = entry.handler

    async def get_prompt(
        ctx: ServerRequestContext[Any, Any], params: GetPromptRequestParams
    ) -> GetPromptResult:
        names = sorted(p.name for p in await server.list_prompts())
        if params.name not in names:
            known = ", ".join(names) or "none"
            raise MCPError(INVALID_PARAMS, f"unknown prompt {params.name!r}; prompts: {known}")
        return cast(GetPromptResult, await delegate(ctx, params))

    lowlevel.add_request_handler("prompts/get", GetPromptRequestParams, get_prompt)
