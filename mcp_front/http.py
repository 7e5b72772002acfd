"""Streamable HTTP transport: loopback by default, a bearer token on every request."""

from __future__ import annotations

import hmac
import ipaddress
import logging

from mcp.server.mcpserver import MCPServer
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_front.config import ENV_HTTP_TOKEN, ConfigError, Settings

logger = logging.getLogger(__name__)


class BearerTokenMiddleware:
    """Refuses any HTTP request without ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
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


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def run_http(server: MCPServer, settings: Settings, *, host: str, port: int) -> None:
    """Serve MCP over streamable HTTP until cancelled."""
    import uvicorn

    if not settings.http_token:
        raise ConfigError(f"the HTTP transport needs a bearer token: set {ENV_HTTP_TOKEN}")
    if not _is_loopback(host):
        logger.warning("HTTP transport bound to %s, which is not loopback", host)
    app = BearerTokenMiddleware(server.streamable_http_app(host=host), settings.http_token)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    logger.info("MCP over HTTP at http://%s:%d/mcp", host, port)
    await uvicorn.Server(config).serve()
