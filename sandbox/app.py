"""The sandbox ASGI application: routing, auth, counters, faults and error answers.

Every answer carries ``X-Scaleway-Sandbox: true`` so nobody mistakes it for the cloud.
Requests need ``X-Auth-Token``: missing -> 401 ``denied_authentication``; not UUID-shaped ->
401; a UUID outside the accepted keys (when a list is configured) -> 401 ``not_found``; a
key listed in ``read_only_keys`` -> 403 ``permissions_denied`` on any mutation. Admin
endpoints under ``/_sandbox/`` need no token and are not counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import anyio
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox import admin, errors
from sandbox.api import (
    block,
    cockpit,
    domain,
    iam,
    instance,
    instance_resources,
    k8s,
    k8s_pools,
    lb,
    lb_backends,
    marketplace,
    product_catalog,
    rdb,
    rdb_extras,
    registry,
    serverless,
    vpc,
)
from sandbox.api.common import is_uuid, json_response
from sandbox.errors import ApiError
from sandbox.faults import FaultInjector, FaultKind, FaultRule
from sandbox.state import SandboxState

logger = logging.getLogger(__name__)

SANDBOX_HEADER = "X-Scaleway-Sandbox"
ADMIN_PREFIX = "/_sandbox/"
API_ROUTES: list[BaseRoute] = [
    *instance.routes,
    *instance_resources.routes,
    *block.routes,
    *marketplace.routes,
    *vpc.routes,
    *k8s.routes,
    *k8s_pools.routes,
    *lb.routes,
    *lb_backends.routes,
    *rdb.routes,
    *rdb_extras.routes,
    *registry.routes,
    *domain.routes,
    *serverless.routes,
    *product_catalog.routes,
    *iam.routes,
    *cockpit.routes,
]
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UNAVAILABLE_TEXT = (
    b"upstream connect error or disconnect/reset before headers. reset reason: overflow"
)


class SandboxMiddleware:
    """Marks, counts, authenticates and fault-injects every request, then routes it."""

    def __init__(
        self, state: SandboxState, api: Router, admin_router: Router, read_only_keys: frozenset[str]
    ) -> None:
        self.state = state
        self.api = api
        self.admin = admin_router
        self.read_only_keys = read_only_keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.api(scope, receive, send)
            return
        started = False

        async def marked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                # What the answer reports is on disk before the client can see it.
                self.state.flush()
                started = True
                headers = list(message.get("headers", []))
                headers.append((SANDBOX_HEADER.lower().encode(), b"true"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            self.state.refresh()  # another process sharing the state file may have written
            await self._handle(scope, receive, marked_send)
        except ApiError as exc:
            if not started:
                await error_response(exc)(scope, receive, marked_send)
        except Exception:
            logger.exception("sandbox bug while serving %s %s", scope["method"], scope["path"])
            if not started:
                await error_response(errors.internal_error())(scope, receive, marked_send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith(ADMIN_PREFIX):
            await self._route(self.admin, scope, receive, send, count=False)
            return
        await self._route(self.api, scope, receive, send, count=True)

    async def _route(
        self, router: Router, scope: Scope, receive: Receive, send: Send, *, count: bool
    ) -> None:
        method = scope["method"]
        partial = False
        for route in router.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                assert isinstance(route, Route)
                key = f"{method} {route.path}"
                scope.update(child)
                if count:
                    self.state.record_call(key)
                    self._authenticate(scope, method)
                    if await self._inject(route, key, scope, receive, send):
                        return
                await route.handle(scope, receive, send)
                return
            partial = partial or match is Match.PARTIAL
        if count:
            self.state.record_call(f"{method} <unmatched>")
            self._authenticate(scope, method)
        if partial:
            raise ApiError(405, {"type": "invalid_request_error", "message": "method not allowed"})
        raise errors.route_not_found()

    def _authenticate(self, scope: Scope, method: str) -> None:
        token = None
        for name, value in scope["headers"]:
            if name == b"x-auth-token":
                token = value.decode("latin-1")
        if not token:
            raise errors.denied_authentication("invalid_argument")
        if not is_uuid(token):
            raise errors.denied_authentication("invalid_argument")
        accepted = self.state.accepted_keys
        if accepted is not None and token not in accepted:
            raise errors.denied_authentication("not_found")
        if token in self.read_only_keys and method in MUTATING:
            raise errors.permissions_denied("write", scope["path"].split("/")[1])

    async def _inject(
        self, route: Route, key: str, scope: Scope, receive: Receive, send: Send
    ) -> bool:
        rules: list[FaultRule] = self.state.faults.draw(key, scope["method"], scope["path"])
        for rule in rules:
            if rule.kind is FaultKind.LATENCY:
                await anyio.sleep(rule.latency_s)
        for rule in rules:
            if rule.kind is FaultKind.LATENCY:
                continue
            logger.debug("fault %s on %s", rule.kind.value, key)
            if rule.kind is FaultKind.COMMIT_THEN_DROP:
                await route.handle(scope, receive, _discard)
                self.state.flush()
                await drop_response(send)
                return True
            if rule.kind is FaultKind.DROP:
                await drop_response(send)
                return True
            response = fault_response(rule)
            await response(scope, receive, send)
            return True
        return False


async def _discard(message: Message) -> None:
    """A ``send`` that throws the answer away (the request itself took effect)."""


async def drop_response(send: Send) -> None:
    """Headers that promise a body which never comes; the server then closes the socket."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
        }
    )


def fault_response(rule: FaultRule) -> Callable[[Scope, Receive, Send], object]:
    """The answer an injected failure gives."""
    if rule.kind is FaultKind.RATE_LIMITED:
        return json_response(None, 429, {"X-Envoy-Ratelimited": "true"})
    if rule.kind is FaultKind.RATE_LIMITED_RETRY_AFTER:
        return json_response(
            {"type": "too_many_requests", "message": "rate limit exceeded"},
            429,
            {"Retry-After": str(rule.retry_after_s)},
        )
    if rule.kind is FaultKind.UNAVAILABLE:
        from starlette.responses import Response

        return Response(UNAVAILABLE_TEXT, 503, media_type="text/plain")
    return json_response(errors.internal_error().body, 500)


def error_response(exc: ApiError) -> Callable[[Scope, Receive, Send], object]:
    """The HTTP answer for an :class:`ApiError`."""
    return json_response(exc.body, exc.status, exc.headers)


def create_app(
    state: SandboxState,
    *,
    read_only_keys: Sequence[str] = (),
    on_reset: Callable[[], None] | None = None,
    s3_faults: FaultInjector | None = None,
    extra_routes: Sequence[BaseRoute] = (),
) -> ASGIApp:
    """Build the ASGI app serving ``state`` (``extra_routes`` is for tests)."""
    instance.install(state)
    k8s.install(state)
    registry.install(state)
    lb.install(state)
    serverless.install(state)
    app = Starlette()
    app.state.sandbox = state
    app.state.on_reset = on_reset
    app.state.s3_faults = s3_faults
    api = Router(routes=[*API_ROUTES, *extra_routes])
    admin_router = Router(routes=admin.routes)
    app.router = api
    middleware = SandboxMiddleware(state, api, admin_router, frozenset(read_only_keys))

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = app
        await middleware(scope, receive, send)

    return asgi
