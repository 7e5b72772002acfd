"""The S3 companion: moto behind :mod:`sandbox.s3_layer`, on a loopback port.

Addressing: give clients ``endpoint_url=s3_url`` (``http://127.0.0.1:PORT``). Because the host
is an IP address, botocore/aioboto3 use path-style requests with their default ``auto``
addressing, and moto serves them. Virtual-host requests also work when the ``Host`` header
names the bucket (``<bucket>.s3.fr-par.scw.cloud`` or ``<bucket>.localhost:PORT``): moto
takes the first label as the bucket. Such names must resolve to 127.0.0.1 on the client, which
``*.localhost`` does not everywhere, so the product should keep the IP endpoint (or force
``addressing_style="path"``). Any access key / secret key is accepted, and any region name
(e.g. ``fr-par``) works as a location constraint.

Faults: ``server.faults`` (a :class:`~sandbox.faults.FaultInjector` of its own, seeded) or
``/_sandbox/s3/faults`` on the API port. Persistence: with a
:class:`~sandbox.store.StateStore`, moto's buckets are restored at start and a pickled
snapshot is written shortly (~0.2 s) after writes settle and at stop; a process killed in that
window loses its last S3 writes. moto keeps one S3 backend per process.
"""

from __future__ import annotations

import logging
import pickle
import threading
from typing import Any

import httpx

from sandbox.faults import FaultInjector
from sandbox.s3_layer import S3Layer
from sandbox.store import StateStore

logger = logging.getLogger(__name__)

SNAPSHOT_BLOB = "s3"
SETTLE_S = 0.2
"""How long writes must pause before a snapshot is taken."""


class S3Server:
    """moto in server mode, behind the fault layer, served by a daemon thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: int = 0,
        store: StateStore | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.faults = FaultInjector(seed)
        self._store = store
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._snapshots: threading.Thread | None = None
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._write_lock = threading.Lock()

    def start(self) -> None:
        """Start serving; ``port`` becomes the bound port."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no per-request access log
        if self._store is not None:
            self._restore(self._store)
        app = S3Layer(
            DomainDispatcherApplication(create_backend_app),
            self.faults,
            on_write=self._dirty.set if self._store is not None else None,
            write_lock=self._write_lock if self._store is not None else None,
        )
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self.port = self._server.server_address[1]
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sandbox-s3", daemon=True
        )
        self._thread.start()
        if self._store is not None:
            self._snapshots = threading.Thread(
                target=self._snapshot_loop, name="sandbox-s3-snapshot", daemon=True
            )
            self._snapshots.start()
        logger.debug("S3 server on %s", self.url)

    @property
    def url(self) -> str:
        """The endpoint URL to give S3 clients."""
        return f"http://{self.host}:{self.port}"

    def reset(self) -> None:
        """Forget every bucket and object (and fault rule)."""
        self.faults.clear()
        httpx.post(f"{self.url}/moto-api/reset", timeout=10.0)
        self._dirty.set()

    def stop(self) -> None:
        """Stop serving, then write a last snapshot if anything changed (idempotent)."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._server.server_close()
            self._server = None
            self._thread = None
        self._stopping.set()
        if self._snapshots is not None:
            self._snapshots.join(timeout=30)
            self._snapshots = None

    # -- persistence --------------------------------------------------------------------------
    def _snapshot_loop(self) -> None:
        while not self._stopping.is_set():
            if not self._dirty.wait(0.1):
                continue
            self._stopping.wait(SETTLE_S)
            self._dirty.clear()
            self._snapshot()
        if self._dirty.is_set():
            self._dirty.clear()
            self._snapshot()

    def _snapshot(self) -> None:
        from moto.s3.models import s3_backends

        assert self._store is not None
        with self._write_lock:
            accounts = {
                account_id: s3_backends[account_id]["aws"].buckets
                for account_id in list(s3_backends.keys())
            }
            blob = pickle.dumps(
                {"accounts": accounts, "bucket_accounts": dict(s3_backends.bucket_accounts)}
            )
        self._store.put_blob(SNAPSHOT_BLOB, blob)
        logger.debug("S3 snapshot: %d bytes", len(blob))

    @staticmethod
    def _restore(store: StateStore) -> None:
        from moto.s3.models import s3_backends

        blob = store.get_blob(SNAPSHOT_BLOB)
        if blob is None:
            return
        try:
            # The blob is this sandbox's own snapshot, in the user's own data directory.
            snapshot = pickle.loads(blob)
        except Exception as exc:  # a moto upgrade can change its classes
            logger.warning("sandbox S3 snapshot could not be read (%s); S3 starts empty", exc)
            return
        for account_id, buckets in snapshot["accounts"].items():
            s3_backends[account_id]["aws"].buckets.update(buckets)
        s3_backends.bucket_accounts.update(snapshot["bucket_accounts"])
