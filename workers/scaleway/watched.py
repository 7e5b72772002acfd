"""The state of a resource a watch follows, read through each product's ``get_*``.

A watch names a kind (server, cluster, pool, database, load_balancer), an id and its zone or
region; ``observe`` reads its name and status as the API spells it (a server's
``stopped in place``, a cluster's ``ready``), raising NotFound when it is gone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workers.scaleway.client import ScalewayClient
from workers.scaleway.database import get_database
from workers.scaleway.instance import get_server, state_text
from workers.scaleway.k8s import get_cluster, get_pool, status_text
from workers.scaleway.lb import get_lb

GONE = "gone"
"""The status a watch reports once the resource no longer exists."""


class WatchKind(StrEnum):
    """The kinds of resource a watch can follow."""

    SERVER = "server"
    CLUSTER = "cluster"
    POOL = "pool"
    DATABASE = "database"
    LOAD_BALANCER = "load_balancer"

    @property
    def zoned(self) -> bool:
        """Whether the resource lives in a zone (else in a region)."""
        return self in (WatchKind.SERVER, WatchKind.LOAD_BALANCER)


@dataclass(frozen=True, slots=True)
class Observed:
    """What one poll saw: the resource's name and status."""

    name: str
    status: str


Reader = Callable[[ScalewayClient, str, str], Awaitable[Any]]
_READERS: dict[WatchKind, tuple[Reader, Callable[[Any], str]]] = {
    WatchKind.SERVER: (get_server, lambda s: state_text(s.state)),
    WatchKind.CLUSTER: (get_cluster, lambda c: status_text(c.status)),
    WatchKind.POOL: (get_pool, lambda p: status_text(p.status)),
    WatchKind.DATABASE: (get_database, lambda d: status_text(d.status)),
    WatchKind.LOAD_BALANCER: (get_lb, lambda lb: status_text(lb.status)),
}


async def observe(
    client: ScalewayClient, kind: WatchKind, place: str, resource_id: str
) -> Observed:
    """The resource's name and status now; NotFound (naming where to look) when it is gone."""
    read, status_of = _READERS[kind]
    resource = await read(client, place, resource_id)
    return Observed(name=str(resource.name), status=status_of(resource))


# Statuses a resource does not leave by itself (Scaleway's support or the user must act).
STUCK: dict[WatchKind, frozenset[str]] = {
    WatchKind.SERVER: frozenset({"locked"}),
    WatchKind.CLUSTER: frozenset({"locked"}),
    WatchKind.POOL: frozenset({"locked"}),
    WatchKind.DATABASE: frozenset({"error", "locked"}),
    WatchKind.LOAD_BALANCER: frozenset({"error", "locked"}),
}


def statuses(kind: WatchKind) -> list[str]:
    """Every status the API gives a ``kind`` (from the SDK's enum), plus ``gone``."""
    if kind is WatchKind.SERVER:
        from scaleway.instance.v1 import ServerState

        values = [state_text(s) for s in ServerState]
    elif kind is WatchKind.CLUSTER:
        from scaleway.k8s.v1 import ClusterStatus

        values = [s.value for s in ClusterStatus]
    elif kind is WatchKind.POOL:
        from scaleway.k8s.v1 import PoolStatus

        values = [s.value for s in PoolStatus]
    elif kind is WatchKind.DATABASE:
        from scaleway.rdb.v1 import InstanceStatus

        values = [s.value for s in InstanceStatus]
    else:
        from scaleway.lb.v1 import LbStatus

        values = [s.value for s in LbStatus]
    return [v for v in values if v != "unknown"] + [GONE]
