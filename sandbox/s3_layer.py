"""A WSGI layer in front of moto's S3: seeded faults per route, quiet errors, write tracking.

Route keys name the request's shape, not its values: ``"GET /"`` (list buckets),
``"PUT /{bucket}"``, ``"GET /{bucket}"`` (list objects), ``"POST /{bucket}"`` (delete
objects), ``"PUT /{bucket}/{key}"`` (put object or part), ``"GET|HEAD|DELETE|POST
/{bucket}/{key}"``. Rules match them like the API sandbox's (see :mod:`sandbox.faults`):
exact key, ``"METHOD /path/prefix"``, ``"/path/prefix"`` or ``"*"``. S3-shaped answers:

- ``429`` / ``429_retry_after``: ``TooManyRequests`` (the latter with ``Retry-After``);
- ``503``: ``SlowDown``, as S3 throttles; ``500``: ``InternalError``;
- ``latency``: delay, then serve; ``drop``: close the connection without an answer;
- ``commit_then_drop``: let moto apply the request, then close without an answer.

An exception inside moto (odd input it does not expect) becomes a quiet ``500 InternalError``
logged at DEBUG, never a traceback on stderr.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

from sandbox.faults import FaultInjector, FaultKind, FaultRule

logger = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MUTATING = frozenset({"PUT", "POST", "DELETE"})
ADMIN_PREFIX = "/moto-api"
FAULT_ANSWERS: dict[FaultKind, tuple[str, str, str]] = {
    FaultKind.RATE_LIMITED: ("429 Too Many Requests", "TooManyRequests", "Please slow down."),
    FaultKind.RATE_LIMITED_RETRY_AFTER: (
        "429 Too Many Requests",
        "TooManyRequests",
        "Please slow down.",
    ),
    FaultKind.UNAVAILABLE: ("503 Service Unavailable", "SlowDown", "Please reduce your rate."),
    FaultKind.INTERNAL: ("500 Internal Server Error", "InternalError", "We encountered an error."),
}


def route_key(method: str, path: str) -> str:
    """The route template of an S3 request (path-style addressing)."""
    parts = path.lstrip("/").split("/", 1)
    if not parts[0]:
        return f"{method} /"
    if len(parts) == 1 or not parts[1]:
        return f"{method} /{{bucket}}"
    return f"{method} /{{bucket}}/{{key}}"


def error_xml(code: str, message: str, resource: str) -> bytes:
    """An S3 error document."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
        f"<Resource>{escape(resource)}</Resource><RequestId>sandbox</RequestId></Error>"
    ).encode()


def bucket_of(environ: dict[str, Any]) -> str | None:
    """The bucket a request addresses (path-style, or virtual-host ``<bucket>.host``)."""
    host = (environ.get("HTTP_HOST") or "").rsplit(":", 1)[0]
    if host and not host.replace(".", "").isdigit() and "." in host and host != "localhost":
        return host.split(".", 1)[0]
    first = (environ.get("PATH_INFO") or "/").lstrip("/").split("/", 1)[0]
    return first or None


def is_part_upload(environ: dict[str, Any]) -> bool:
    """Whether a request uploads one part of a multipart upload (not yet an object)."""
    query = environ.get("QUERY_STRING") or ""
    return "uploadId=" in query and "partNumber=" in query


WriteHook = Callable[[str | None, bool], None]
"""Called after a served write with the bucket (None: unknown) and whether it is a part."""


class S3Layer:
    """Wraps moto's WSGI app; ``on_write`` runs after each served PUT/POST/DELETE."""

    def __init__(
        self,
        app: WSGIApp,
        faults: FaultInjector,
        *,
        on_write: WriteHook | None = None,
        write_lock: threading.Lock | None = None,
    ) -> None:
        self.app = app
        self.faults = faults
        self.on_write = on_write
        self.write_lock = write_lock

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO") or "/"
        if path.startswith(ADMIN_PREFIX):
            return self.app(environ, start_response)
        key = route_key(method, path)
        failure: FaultRule | None = None
        for rule in self.faults.draw(key, method, path):
            if rule.kind is FaultKind.LATENCY:
                time.sleep(rule.latency_s)
            else:
                failure = rule
        if failure is not None:
            logger.debug("S3 fault %s on %s", failure.kind.value, key)
            if failure.kind is FaultKind.DROP:
                return _drop(environ)
            if failure.kind is not FaultKind.COMMIT_THEN_DROP:
                return _fault_answer(failure, path, start_response)
        status, headers, body = self._serve(environ, method, path)
        if failure is not None:  # commit_then_drop: moto applied it; nobody hears back
            return _drop(environ)
        start_response(status, headers)
        return body

    def _serve(
        self, environ: dict[str, Any], method: str, path: str
    ) -> tuple[str, list[tuple[str, str]], list[bytes]]:
        writes = method in MUTATING
        if writes and self.write_lock is not None:
            with self.write_lock:
                answer = _call(self.app, environ, path)
        else:
            answer = _call(self.app, environ, path)
        if writes and self.on_write is not None:
            self.on_write(bucket_of(environ), is_part_upload(environ))
        return answer


def _call(
    app: WSGIApp, environ: dict[str, Any], path: str
) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    captured: list[Any] = []

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured[:] = [status, headers]

    try:
        body = list(app(environ, capture))
    except Exception:
        logger.debug("moto failed on %s %s", environ["REQUEST_METHOD"], path, exc_info=True)
        content = error_xml("InternalError", "We encountered an internal error.", path)
        headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(content)))]
        return "500 Internal Server Error", headers, [content]
    return captured[0], captured[1], body


def _fault_answer(rule: FaultRule, path: str, start_response: Callable[..., Any]) -> list[bytes]:
    status, code, message = FAULT_ANSWERS[rule.kind]
    content = error_xml(code, message, path)
    headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(content)))]
    if rule.kind is FaultKind.RATE_LIMITED_RETRY_AFTER:
        headers.append(("Retry-After", str(rule.retry_after_s)))
    start_response(status, headers)
    return [content]


def _drop(environ: dict[str, Any]) -> list[bytes]:
    """Close the client's connection with no answer (werkzeug then finds a broken pipe)."""
    sock: socket.socket | None = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise ConnectionAbortedError("sandbox fault: connection dropped")
