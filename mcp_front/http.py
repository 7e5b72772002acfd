"""Streamable HTTP transport: loopback by default, a bearer token on every request."""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging

import anyio
from mcp.server.mcpserver import MCPServer
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_front.config import ENV_HTTP_TOKEN, ConfigError, Settings

logger = logging.getLogger(__name__)


class BearerTokenMiddleware:
    """Refuses any HTTP request without ``Authorization: Bearer <token>`` for a known token;
    each token is its own principal (tasks belong to the one that created them)."""

    def __init__(self, app: ASGIApp, tokens: tuple[str, ...]) -> None:
        self.app = app
        self._expected = [f"Bearer {token}".encode() for token in tokens]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            # Compare with every token, so the time taken tells nothing about which matched.
            if not sum(hmac.compare_digest(given, expected) for expected in self._expected):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b"Bearer"),
                        ],
                    }
                )
                await send(
                    {
                        "type": "http.response.body",
                        "body": b'{"status": "error", "message": "missing or wrong bearer token"}',
                    }
                )
                return
        await self.app(scope, receive, send)


class QuietShutdown:
    """Ends requests still in flight when the server stops, without an ASGI traceback.

    uvicorn cancels them once the grace period is over; their jobs are durable and the
    client may follow them again from another session.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.stopping = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except anyio.get_cancelled_exc_class():
            if not self.stopping or scope["type"] != "http":
                raise
            logger.info("HTTP request %s ended by shutdown", scope.get("path"))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def run_http(server: MCPServer, settings: Settings, *, host: str, port: int) -> None:
    """Serve MCP over streamable HTTP until cancelled, then shut down gracefully.

    Cancelling (the CLI does on SIGTERM/SIGINT) stops accepting connections, gives requests
    in flight ``shutdown_grace_s`` to end, then closes the sessions: no traceback.
    """
    import uvicorn

    if not settings.http_token:
        raise ConfigError(f"the HTTP transport needs a bearer token: set {ENV_HTTP_TOKEN}")
    if not _is_loopback(host):
        logger.warning("HTTP transport bound to %s, which is not loopback", host)
    mcp_app = server.streamable_http_app(
        host=host, session_idle_timeout=settings.http_session_idle_s
    )
    app = QuietShutdown(BearerTokenMiddleware(mcp_app, settings.http_tokens))
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_s)),
    )
    web = uvicorn.Server(config)
    # The CLI owns the signals; uvicorn's own capture would re-raise them after shutdown.
    web.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    logger.info("MCP over HTTP at http://%s:%d/mcp", host, port)

    async def serve() -> None:
        with anyio.CancelScope(shield=True):
            await web.serve()

    async with anyio.create_task_group() as tg:
        tg.start_soon(serve)
        try:
            await anyio.sleep_forever()
        finally:
            logger.info("HTTP transport: stopping (grace %ss)", config.timeout_graceful_shutdown)
            app.stopping = web.should_exit = True
