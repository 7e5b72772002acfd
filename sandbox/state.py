"""The sandbox's in-memory, thread-safe state: resources, counters, quotas and faults.

Resources are :class:`Record` values grouped by kind (``"server"``, ``"cluster"``, ``"pool"``,
``"rdb_instance"``, ``"private_network"``, ``"private_nic"``, ``"registry_namespace"``, ...).
A record's status comes from its timeline (see :mod:`sandbox.lifecycle`); a record whose
timeline reaches ``GONE`` is dropped on the next read, and the kind's ``on_gone`` hook runs
(e.g. a terminated server takes its volumes with it).

With a :class:`~sandbox.store.StateStore` the state outlives the process: it loads every
stored record at start, and :meth:`SandboxState.flush` (called by the app before each answer
leaves) writes what requests touched. Records are plain JSON-able values, so any kind persists.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sandbox import errors, lifecycle
from sandbox.faults import FaultInjector
from sandbox.lifecycle import GONE, Clock, Phase, SystemClock, Timeline
from sandbox.store import StateStore

logger = logging.getLogger(__name__)

DEFAULT_PROJECT_ID = "00000000-0000-0000-0000-000000000000"
"""Project (and organization) used when a request names none."""

DEFAULT_QUOTAS: dict[str, int] = {
    "server": 100,
    "cluster": 20,
    "rdb_instance": 20,
    "private_network": 100,
    "registry_namespace": 50,
    "ip": 100,
    "lb": 20,
}
"""Maximum live resources per project and kind."""


@dataclass(slots=True)
class Record:
    """One stored resource."""

    kind: str
    id: str
    location: str
    project_id: str
    name: str
    tags: list[str]
    created_at: float
    timeline: Timeline
    data: dict[str, Any] = field(default_factory=dict)
    parent_id: str | None = None
    updated_at: float = 0.0
    seq: int = 0

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Record:
        """A record from its stored JSON (see :mod:`sandbox.store`)."""
        timeline = [(float(at), str(status)) for at, status in body["timeline"]]
        return cls(**{**body, "timeline": timeline})


RECORD_FIELDS = tuple(f.name for f in fields(Record))
GoneHook = Callable[["SandboxState", Record], None]


class SandboxState:
    """Everything the sandbox remembers; every method is safe to call from any thread."""

    def __init__(
        self,
        speed: float = 10.0,
        seed: int = 0,
        clock: Clock | None = None,
        accepted_keys: Iterable[str] | None = None,
        quotas: dict[str, int] | None = None,
        store: StateStore | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.seed = seed
        self.clock: Clock = clock or SystemClock()
        self.accepted_keys = frozenset(accepted_keys) if accepted_keys is not None else None
        self.quotas: dict[str, int] = dict(DEFAULT_QUOTAS if quotas is None else quotas)
        self.faults = FaultInjector(seed)
        self.lock = threading.RLock()
        self.on_gone: dict[str, GoneHook] = {}
        self._records: dict[str, dict[str, Record]] = {}
        self._calls: Counter[str] = Counter()
        self._created: Counter[str] = Counter()
        self._seq = 0
        self.store = store
        # Records handed out since the last flush (and the flush before: a handler may mutate
        # a record after another request's flush), and records that went away.
        self._touched: dict[tuple[str, str], Record] = {}
        self._touched_before: dict[tuple[str, str], Record] = {}
        self._gone: set[tuple[str, str]] = set()
        if store is not None:
            self._load(store)

    # -- persistence ------------------------------------------------------------------
    def _load(self, store: StateStore) -> None:
        bodies, counters = store.load()
        for body in bodies:
            record = Record.from_json(body)
            self._records.setdefault(record.kind, {})[record.id] = record
            self._seq = max(self._seq, record.seq)
        self._merge_counters(counters)

    def _merge_counters(self, counters: dict[str, Any]) -> None:
        for kind, count in counters.get("created", {}).items():
            self._created[kind] = max(self._created[kind], int(count))
        self._seq = max(self._seq, int(counters.get("seq", 0)))

    def refresh(self) -> None:
        """Take in what another process sharing the state file saved since (cheap if nothing).

        Records keep their identity (fields updated in place), so a request holding one sees
        the new values; records saved before and now gone from the file were deleted there.
        """
        if self.store is None or not self.store.changed_elsewhere():
            return
        with self.lock:
            saved_before = self.store.saved
            known = {(kind, rid) for kind, records in self._records.items() for rid in records}
            was_saved = {key for key in known if saved_before(key)}
            bodies, counters = self.store.load()
            on_disk: set[tuple[str, str]] = set()
            for body in bodies:
                fresh = Record.from_json(body)
                on_disk.add((fresh.kind, fresh.id))
                current = self._records.get(fresh.kind, {}).get(fresh.id)
                if current is None:
                    self._records.setdefault(fresh.kind, {})[fresh.id] = fresh
                    continue
                for name in RECORD_FIELDS:
                    setattr(current, name, getattr(fresh, name))
            for kind, rid in was_saved - on_disk:
                self._records.get(kind, {}).pop(rid, None)
            self._merge_counters(counters)

    def _touch(self, record: Record) -> Record:
        if self.store is not None:
            self._touched[(record.kind, record.id)] = record
        return record

    def flush(self) -> None:
        """Write the records touched since the last flush to the store (no-op without one)."""
        if self.store is None:
            return
        with self.lock:
            touched = {**self._touched_before, **self._touched}
            self._touched_before, self._touched = self._touched, {}
            gone, self._gone = self._gone, set()
            live = [r for (k, i), r in touched.items() if self._records.get(k, {}).get(i) is r]
            counters = {"created": dict(self._created), "seq": self._seq}
            written = self.store.save(live, gone, counters)
        if written:
            logger.debug("sandbox state: %d row(s) written", written)

    # -- time -------------------------------------------------------------------------
    def now(self) -> float:
        """The current time from the injected clock."""
        return self.clock.now()

    def plan(self, phases: Sequence[Phase], start: float | None = None) -> Timeline:
        """A timeline for ``phases`` starting now, scaled by the speed factor."""
        return lifecycle.plan(self.now() if start is None else start, phases, self.speed)

    def status(self, record: Record) -> str:
        """A record's current status."""
        return lifecycle.status_at(record.timeline, self.now())

    # -- resources --------------------------------------------------------------------
    def new_id(self) -> str:
        """A fresh resource id."""
        return str(uuid.uuid4())

    def add(self, record: Record) -> Record:
        """Store a new record and count it as created."""
        with self.lock:
            record.updated_at = record.updated_at or record.created_at
            self._seq += 1
            record.seq = self._seq
            self._records.setdefault(record.kind, {})[record.id] = record
            self._created[record.kind] += 1
            self._gone.discard((record.kind, record.id))
            return self._touch(record)

    def get(self, kind: str, record_id: str) -> Record | None:
        """A live record, or None (a record past ``GONE`` is dropped here)."""
        with self.lock:
            record = self._records.get(kind, {}).get(record_id)
            if record is None or self._reap(record):
                return None
            return self._touch(record)

    def require(self, kind: str, record_id: str, error: errors.ApiError) -> Record:
        """A live record, or raise ``error``."""
        record = self.get(kind, record_id)
        if record is None:
            raise error
        return record

    def all(self, kind: str) -> list[Record]:
        """Every live record of a kind, oldest first."""
        with self.lock:
            records = list(self._records.get(kind, {}).values())
            live = [self._touch(r) for r in records if not self._reap(r)]
            return sorted(live, key=lambda r: (r.created_at, r.seq))

    def remove(self, kind: str, record_id: str) -> None:
        """Forget a record at once (no hook)."""
        with self.lock:
            self._forget(kind, record_id)

    def _forget(self, kind: str, record_id: str) -> None:
        self._records.get(kind, {}).pop(record_id, None)
        if self.store is not None:
            self._gone.add((kind, record_id))

    def set_timeline(self, record: Record, phases: Sequence[Phase]) -> None:
        """Restart a record's lifecycle now with ``phases``."""
        with self.lock:
            record.timeline = self.plan(phases)
            record.updated_at = self.now()

    def force_status(self, kind: str, record_id: str, status: str) -> bool:
        """Put a resource in ``status`` now and keep it there (tests: error states)."""
        with self.lock:
            record = self.get(kind, record_id)
            if record is None:
                return False
            record.timeline = [(self.now(), status)]
            record.updated_at = self.now()
            return True

    def _reap(self, record: Record) -> bool:
        if self.status(record) != GONE:
            return False
        self._forget(record.kind, record.id)
        hook = self.on_gone.get(record.kind)
        if hook is not None:
            hook(self, record)
        return True

    def check_quota(
        self, kind: str, project_id: str, quota_name: str, location: str | None = None
    ) -> None:
        """Raise ``quotas_exceeded`` if the project already has its quota of ``kind`` (in
        ``location`` for a zonal quota, else anywhere)."""
        limit = self.quotas.get(kind)
        if limit is None:
            return
        current = sum(
            1
            for r in self.all(kind)
            if r.project_id == project_id and location in (None, r.location)
        )
        if current >= limit:
            raise errors.quotas_exceeded(quota_name, limit, current)

    # -- counters ---------------------------------------------------------------------
    def record_call(self, route_key: str) -> None:
        """Count one request to a route template (``"GET /k8s/v1/regions/{region}/..."``)."""
        with self.lock:
            self._calls[route_key] += 1

    @property
    def counters(self) -> dict[str, int]:
        """Calls per route template so far."""
        with self.lock:
            return dict(self._calls)

    def calls(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """How many requests matched a method and/or a route-template prefix."""
        total = 0
        with self.lock:
            for key, count in self._calls.items():
                key_method, _, key_path = key.partition(" ")
                if method is not None and key_method != method.upper():
                    continue
                if path_prefix is not None and not key_path.startswith(path_prefix):
                    continue
                total += count
        return total

    def created(self, kind: str) -> int:
        """How many resources of a kind were ever created."""
        with self.lock:
            return self._created[kind]

    @property
    def created_counts(self) -> dict[str, int]:
        """Resources ever created, per kind."""
        with self.lock:
            return dict(self._created)

    def live_counts(self) -> dict[str, int]:
        """Live resources per kind."""
        with self.lock:
            return {kind: len(self.all(kind)) for kind in list(self._records)}

    def reset(self) -> None:
        """Forget every resource, counter and fault rule (configuration stays)."""
        with self.lock:
            self._records.clear()
            self._calls.clear()
            self._created.clear()
            self.faults.clear()
            self._touched.clear()
            self._touched_before.clear()
            self._gone.clear()
            if self.store is not None:
                self.store.clear()
