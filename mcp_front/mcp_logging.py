"""MCP log messages about the session's own jobs, at the level the client asked for.

Handshake-era clients choose the level with ``logging/setLevel`` (served here, which also
advertises the ``logging`` capability); 2026-07-28 clients opt in per request through
``_meta`` and the SDK filters for them. Messages carry a job's id, operation, state and
progress text, redacted; never parameters or results.
"""

from __future__ import annotations

import logging
import warnings
import weakref
from collections import OrderedDict
from typing import Any, get_args

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.types import EmptyResult, LoggingLevel, SetLevelRequestParams
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from jobs.models import Job
from workers.redact import sanitize_message

logger = logging.getLogger(__name__)
LOGGER_NAME = "scaleway.jobs"
LEVELS: tuple[LoggingLevel, ...] = get_args(LoggingLevel)
# Without logging/setLevel a handshake-era session hears info and above.
DEFAULT_LEVEL: LoggingLevel = "info"
_MAX_SESSIONS = 4096
_STDIO = "stdio"

# The SDK marks MCP logging deprecated (SEP-2577); it is still the spec for both generations.
warnings.filterwarnings("ignore", category=MCPDeprecationWarning, module=__name__)


class SessionLevels:
    """The level each handshake-era session asked for, by HTTP session id (stdio: one)."""

    def __init__(self) -> None:
        self._levels: OrderedDict[str, LoggingLevel] = OrderedDict()

    def set(self, session_key: str, level: LoggingLevel) -> None:
        """Remember ``level`` for the session (the oldest sessions are forgotten first)."""
        self._levels[session_key] = level
        self._levels.move_to_end(session_key)
        while len(self._levels) > _MAX_SESSIONS:
            self._levels.popitem(last=False)

    def allows(self, session_key: str, level: LoggingLevel) -> bool:
        """Whether a message at ``level`` may go to that session."""
        wanted = self._levels.get(session_key, DEFAULT_LEVEL)
        return LEVELS.index(level) >= LEVELS.index(wanted)


def session_key(request: Any) -> str:
    """The HTTP session id of a request (its ``mcp-session-id`` header), else stdio's."""
    headers = getattr(request, "headers", None)
    return (headers.get("mcp-session-id") if headers is not None else None) or _STDIO


_LEVELS: weakref.WeakKeyDictionary[MCPServer, SessionLevels] = weakref.WeakKeyDictionary()


def install(server: MCPServer) -> None:
    """Serve ``logging/setLevel`` (and so advertise the ``logging`` capability)."""
    levels = _LEVELS.setdefault(server, SessionLevels())

    async def set_level(
        ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams
    ) -> EmptyResult:
        levels.set(session_key(ctx.request), params.level)
        logger.debug("client log level set to %s", params.level)
        return EmptyResult()

    # MCPServer has no public seam for this spec method: register it on its low-level server.
    lowlevel = server._lowlevel_server
    lowlevel.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)


class JobLog:
    """Tells the client, as MCP log messages, each time a job it follows changes state."""

    def __init__(self, ctx: Context | None) -> None:
        self._ctx = ctx
        self._levels = _levels_of(ctx)
        self._last: tuple[str, str] | None = None

    async def moved(self, job: Job) -> None:
        """Log the job's state if it changed since the last call."""
        key = (job.state.value, job.progress.phase)
        if self._ctx is None or key == self._last:
            return
        self._last = key
        level: LoggingLevel = "error" if job.state.value == "failed" else "info"
        if not self._wanted(self._ctx, level):
            return
        data: dict[str, Any] = {
            "job_id": job.id,
            "operation": job.operation,
            "state": job.state.value,
            "phase": job.progress.phase,
        }
        text = job.error if job.state.value == "failed" else job.progress.message
        if text:
            data["message"] = sanitize_message(text)
        try:
            await self._ctx.session.send_log_message(
                level, data, logger=LOGGER_NAME, related_request_id=self._ctx.request_id
            )
        except Exception:  # a client that went away must not fail the tool
            self._ctx = None

    def _wanted(self, ctx: Context, level: LoggingLevel) -> bool:
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS or self._levels is None:
            return True  # the SDK applies the request's own opt-in
        return self._levels.allows(session_key(ctx.request_context.request), level)


def _levels_of(ctx: Context | None) -> SessionLevels | None:
    try:
        return _LEVELS.get(ctx.mcp_server) if ctx is not None else None
    except ValueError:  # a Context outside of a request
        return None
