"""The S3 companion: moto's threaded server on a loopback port.

Addressing: give clients ``endpoint_url=s3_url`` (``http://127.0.0.1:PORT``). Because the host
is an IP address, botocore/aioboto3 use path-style requests with their default ``auto``
addressing, and moto serves them. Virtual-host requests also work when the ``Host`` header
names the bucket (``<bucket>.s3.fr-par.scw.cloud`` or ``<bucket>.localhost:PORT``): moto
takes the first label as the bucket. Such names must resolve to 127.0.0.1 on the client, which
``*.localhost`` does not everywhere, so the product should keep the IP endpoint (or force
``addressing_style="path"``). Any access key / secret key is accepted, and any region name
(e.g. ``fr-par``) works as a location constraint.
"""

from __future__ import annotations

import logging

import httpx
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

logger = logging.getLogger(__name__)


class S3Server:
    """moto in server mode, started in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.port = port

    def start(self) -> None:
        """Start serving; ``port`` becomes the bound port."""
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no per-request access log
        self._server.start()
        _, self.port = self._server.get_host_and_port()
        logger.debug("moto S3 server on %s", self.url)

    @property
    def url(self) -> str:
        """The endpoint URL to give S3 clients."""
        return f"http://{self.host}:{self.port}"

    def reset(self) -> None:
        """Forget every bucket and object."""
        httpx.post(f"{self.url}/moto-api/reset", timeout=10.0)

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()
