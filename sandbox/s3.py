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
:class:`~sandbox.store.StateStore`, each bucket is a pickled blob, restored at start and
rewritten before the answer to any write in it (object put, copy, delete, multipart
complete, bucket settings); a part upload only marks its bucket for a save ~0.2 s after parts
settle (and at stop), so a process killed mid-upload may lose the upload in progress, never a
stored object. A write costs one pickling of its bucket: fine for a sandbox, not for
gigabytes. moto keeps one S3 backend per process: two processes on one state file share the
API resources but not S3 (each writes only the buckets it changed).
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

BUCKET_BLOB = "s3/bucket/"
SETTLE_S = 0.2
"""How long part uploads must pause before their bucket is saved."""


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
        self._dirty_all = False
        self._dirty_buckets: set[str] = set()
        self._marks = threading.Lock()  # guards the two dirty marks above
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
            on_write=self._on_write if self._store is not None else None,
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
        with self._marks:
            self._dirty_all = True
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
    def _on_write(self, bucket: str | None, part: bool) -> None:
        """Save the bucket now (objects are saved before their answer), or soon for a part."""
        if bucket is not None and not part:
            self._save_bucket(bucket)
            return
        with self._marks:
            if bucket is None:
                self._dirty_all = True
            else:
                self._dirty_buckets.add(bucket)
        self._dirty.set()

    def _snapshot_loop(self) -> None:
        while not self._stopping.is_set():
            if self._dirty.wait(0.1):
                self._stopping.wait(SETTLE_S)
                self._save_dirty()
        self._save_dirty()

    def _save_dirty(self) -> None:
        self._dirty.clear()
        with self._marks:
            everything, self._dirty_all = self._dirty_all, False
            buckets, self._dirty_buckets = self._dirty_buckets, set()
        if everything:
            self._save_all()
        for bucket in buckets:
            self._save_bucket(bucket)

    def _save_all(self) -> None:
        from moto.s3.models import s3_backends

        assert self._store is not None
        with self._write_lock:
            names = set(s3_backends.bucket_accounts)
        for name, _ in self._store.blobs(BUCKET_BLOB):
            if name[len(BUCKET_BLOB) :] not in names:
                self._store.delete_blob(name)
        for bucket in names:
            self._save_bucket(bucket)

    def _save_bucket(self, bucket: str) -> None:
        """Write one bucket (objects, settings, uploads in progress), or forget it if gone."""
        from moto.s3.models import s3_backends

        assert self._store is not None
        with self._write_lock:
            owner = s3_backends.bucket_accounts.get(bucket)
            found = None if owner is None else s3_backends[owner[1]][owner[0]].buckets.get(bucket)
            blob = None if found is None else pickle.dumps((owner, found))
        if blob is None:
            self._store.delete_blob(BUCKET_BLOB + bucket)
        else:
            self._store.put_blob(BUCKET_BLOB + bucket, blob)

    @staticmethod
    def _restore(store: StateStore) -> None:
        saved = store.blobs(BUCKET_BLOB)
        if not saved:
            return  # moto's S3 models load on the first request, not at start
        from moto.s3.models import s3_backends

        for name, blob in saved:
            try:
                # The blob is this sandbox's own snapshot, in the user's own data directory.
                (partition, account_id), bucket = pickle.loads(blob)
            except Exception as exc:  # a moto upgrade can change its classes
                logger.warning("sandbox S3: %s could not be read (%s); skipped", name, exc)
                continue
            s3_backends[account_id][partition].buckets[bucket.name] = bucket
            s3_backends.bucket_accounts[bucket.name] = (partition, account_id)
