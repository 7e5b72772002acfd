"""A loopback reverse proxy that adds the bearer token to every request (CI only).

The MCP conformance suite cannot send an ``Authorization`` header; this step between it and
``serve --transport http`` adds one and passes everything else through unchanged (the Host
and Origin headers included, so DNS-rebinding protection is tested on the real server).

Usage: python .ci/bearer_proxy.py LISTEN_PORT TARGET_URL   (token in SCW_MCP_HTTP_TOKEN)
"""

from __future__ import annotations

import os
import sys

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "content-length"}


def build_app(target: str, token: str) -> Starlette:
    """The proxy application forwarding every path and method to ``target``."""
    client = httpx.AsyncClient(base_url=target, timeout=None)

    async def forward(request: Request) -> StreamingResponse:
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        headers = [(k, v) for k, v in headers if k.lower() != "authorization"]
        headers.append(("authorization", f"Bearer {token}"))
        upstream = client.build_request(
            request.method,
            request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            headers=headers,
            content=await request.body(),
        )
        response = await client.send(upstream, stream=True)
        kept = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
        return StreamingResponse(
            response.aiter_raw(),
            status_code=response.status_code,
            headers=kept,
            background=BackgroundTask(response.aclose),
        )

    methods = ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


if __name__ == "__main__":
    port, target = int(sys.argv[1]), sys.argv[2]
    app = build_app(target, os.environ["SCW_MCP_HTTP_TOKEN"])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
