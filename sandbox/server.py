"""Run the sandbox in-process: the API app under uvicorn in a thread, plus the S3 server.

with SandboxServer(speed=1000) as sb:
    client = scaleway.Client(..., api_url=sb.api_url)
    sb.state.faults.add("POST /k8s/v1/regions/{region}/clusters", "429", rate=0.5)
    sb.s3.faults.add("PUT /{bucket}/{key}", "503", rate=0.2)

``state_path`` keeps the imitated cloud in a SQLite file (see :mod:`sandbox.store`): a
sandbox started again on the same file finds every resource, S3 bucket and object, with
lifecycles still timed from their original instants.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

import uvicorn

from sandbox.app import create_app
from sandbox.lifecycle import Clock
from sandbox.s3 import S3Server
from sandbox.state import SandboxState
from sandbox.store import StateStore
from sandbox.types import JSON

logger = logging.getLogger(__name__)


class _DropFilter(logging.Filter):
    """Hide uvicorn's complaint about the responses the ``drop`` fault cuts on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


class SandboxServer:
    """A sandbox API server (and S3 server) on loopback ports, started and stopped cleanly."""

    def __init__(
        self,
        speed: float = 10.0,
        seed: int = 0,
        port: int = 0,
        s3_port: int = 0,
        with_s3: bool = True,
        host: str = "127.0.0.1",
        *,
        clock: Clock | None = None,
        accepted_keys: Iterable[str] | None = None,
        read_only_keys: Sequence[str] = (),
        quotas: dict[str, int] | None = None,
        state_path: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.store = StateStore(state_path) if state_path is not None else None
        self.state = SandboxState(
            speed=speed,
            seed=seed,
            clock=clock,
            accepted_keys=accepted_keys,
            quotas=quotas,
            store=self.store,
        )
        self.s3: S3Server | None = (
            S3Server(host, s3_port, seed=seed, store=self.store) if with_s3 else None
        )
        self._read_only_keys = read_only_keys
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._s3_running = False

    @property
    def api_url(self) -> str:
        """Base URL of the Scaleway APIs (``SCW_API_URL``), without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    @property
    def s3_url(self) -> str:
        """Endpoint URL of the S3 server (``SCW_S3_ENDPOINT_URL``)."""
        if self.s3 is None:
            raise RuntimeError("this sandbox runs without S3")
        return self.s3.url

    def start(self, timeout_s: float = 10.0) -> SandboxServer:
        """Start both servers and wait until they accept connections."""
        if self.s3 is not None:
            self.s3.start()
            self._s3_running = True
        app = create_app(
            self.state,
            read_only_keys=self._read_only_keys,
            on_reset=self.s3.reset if self.s3 is not None else None,
            s3_faults=self.s3.faults if self.s3 is not None else None,
        )
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Without it, keep-alive clients wait ~40 ms per answer (Nagle vs delayed ACK).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name="scaleway-sandbox",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox API server did not start")
            time.sleep(0.005)
        logger.debug("sandbox API on %s", self.api_url)
        return self

    def stop(self) -> None:
        """Stop both servers and close the state file (idempotent)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None
            self._thread = None
        if self.s3 is not None and self._s3_running:
            self.s3.stop()
            self._s3_running = False
        if self.store is not None:
            self.state.flush()
            self.state.store = None
            self.store.close()
            self.store = None

    def add_faults(self, rules: Sequence[JSON]) -> None:
        """Add rules as :func:`sandbox.faults.parse_rules` returns them (``target`` api/s3)."""
        for rule in rules:
            spec = dict(rule)
            target = spec.pop("target", "api")
            if target == "s3" and self.s3 is None:
                raise ValueError("an S3 fault rule needs the S3 server")
            injector = self.s3.faults if target == "s3" and self.s3 else self.state.faults
            injector.add(spec.pop("route"), spec.pop("kind"), **spec)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
