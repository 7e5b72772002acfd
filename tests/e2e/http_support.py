"""Starting ``serve --transport http`` as a subprocess on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

from tests.e2e.stdio_support import REPO_ROOT, serve_command

TOKEN = "test-token-not-a-secret-0000"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def authorized() -> httpx2.AsyncClient:
    """An HTTP client that sends the test bearer token."""
    return httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)


@dataclass(frozen=True, slots=True)
class Served:
    """A serve process, its MCP URL and the file its stderr goes to."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log(self) -> str:
        """Everything the server wrote to stderr so far."""
        return self.log_path.read_text(errors="replace")


@contextmanager
def http_serve(env: dict[str, str], *extra_args: str) -> Iterator[Served]:
    """A running HTTP server process; terminated (SIGTERM) on exit if still running."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "stderr.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [*serve_command(), *extra_args, "--transport", "http", "--port", str(port)],
                env={"SCW_MCP_HTTP_TOKEN": TOKEN, **env},
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        served = Served(process, f"http://127.0.0.1:{port}/mcp", log_path)
        try:
            _wait_for_port(served, port)
            yield served
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(30)


def _wait_for_port(served: Served, port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            assert served.process.poll() is None, served.log()
            assert time.monotonic() < deadline, "the HTTP server did not start"
            time.sleep(0.1)
