"""API calls per cluster until ready: our ``k8s.create_cluster`` job vs the SDK's waiters.

Both run against the same sandbox lifecycle at real durations on a manual clock (a 4-minute
cluster takes no real time): a Kapsule cluster with a 3-node pool goes ``creating`` -> ``ready``
(90 s at the median), then its pool ``scaling`` -> ``ready`` (157 s more).

* ours: the real ``k8s.create_cluster`` operation run by the job runner; every ``Wait`` moves
  the shared clock to the job's ``run_after`` (cluster/pool schedule: 15 s growing x1.5 to a
  60 s cap). It counts everything the job sends: network and cluster look-ups and creates,
  cluster polls, pool + node polls (the node counts shown as progress), the final read.
* SDK: ``create_cluster`` then ``wait_for_cluster`` (what the SDK offers) and, to reach the
  same end state, ``wait_for_pool``, with default ``WaitForOptions`` except a 1-hour timeout
  (delays uniform in [1, 2^n] s, capped at 30 s).

Run: ``uv run python -m bench.k8s_polling [--trials 20]``.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

import anyio

from bench.common import (
    ZERO_UUID,
    VirtualTime,
    median,
    print_table,
    sandbox_client,
    write_results,
)
from jobs.database import create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.store import JobStore
from sandbox.lifecycle import DURATIONS_S, ManualClock
from sandbox.server import SandboxServer
from workers.operations import k8s
from workers.registry import OperationRegistry
from workers.runner import JobRunner
from workers.scaleway.k8s import default_pool
from workers.services import Services

REGION = "fr-par"
# Time from create to pool ready seen in the recordings: fast, median, slow (seconds).
TOTALS_S = (206.0, 247.0, 494.0)
PARAMS = {
    "region": REGION,
    "name": "bench",
    "version": "1.35.3",
    "node_type": "DEV1-M",
    "pool_size": 3,
}


def _ready_at(sb: SandboxServer) -> tuple[float, float]:
    """When the sandbox's cluster and its pool become ready."""
    (cluster,) = sb.state.all("cluster")
    (pool,) = sb.state.all("pool")
    return cluster.timeline[-1][0], pool.timeline[-1][0]


async def _ours(sb: SandboxServer, tmp: str) -> dict[str, float]:
    clock: ManualClock = sb.state.clock  # type: ignore[assignment]
    db = create_database(sqlite_url(Path(tmp) / "jobs.db"))
    await upgrade_database(db)
    store = JobStore(db, clock=clock)  # type: ignore[arg-type]
    client = sandbox_client(sb.api_url)
    services = Services(secrets_dir=Path(tmp) / "secrets", scaleway=client)
    runner = JobRunner(store, OperationRegistry(k8s.OPERATIONS), owner="bench", services=services)
    try:
        job, _ = await store.enqueue("k8s.create_cluster", dict(PARAMS))
        started = clock.now()
        while not (await store.get(job.id)).state.is_terminal:
            due = await store.next_due_at()
            if due is not None and due > clock.now():
                clock.advance(due - clock.now())
            for claimed in await store.claim("bench", limit=1, lease_s=30):
                await runner.run(claimed)
        final = await store.get(job.id)
        assert final.state.value == "succeeded", final.error
        _, pool_ready = _ready_at(sb)
        return {
            "calls": float(sb.state.calls()),
            "cluster_polls": float(_cluster_gets(sb)),
            "overshoot_s": clock.now() - pool_ready,
            "took_s": clock.now() - started,
        }
    finally:
        await client.aclose()
        await db.close()


def _cluster_gets(sb: SandboxServer) -> int:
    return sb.state.counters.get("GET /k8s/v1/regions/{region}/clusters/{cluster_id}", 0)


def _sdk(sb: SandboxServer) -> dict[str, float]:
    from scaleway_core.utils import waiter

    clock: ManualClock = sb.state.clock  # type: ignore[assignment]
    waiter.time = VirtualTime(clock)  # type: ignore[assignment,attr-defined]
    client = sandbox_client(sb.api_url)
    api = client.k8s
    pool = default_pool("DEV1-M", 3, zone="fr-par-1")
    cluster = api.create_cluster(
        type_="kapsule",
        description="",
        version="1.35.3",
        cni="cilium",  # type: ignore[arg-type]
        region=REGION,
        project_id=ZERO_UUID,
        name="bench",
        pools=[pool],
    )
    started = clock.now()
    options: Any = waiter.WaitForOptions(timeout=3600)
    api.wait_for_cluster(cluster_id=cluster.id, region=REGION, options=options)
    cluster_polls = _cluster_gets(sb)
    cluster_ready, pool_ready = _ready_at(sb)
    cluster_overshoot = clock.now() - cluster_ready
    (pool_obj,) = api.list_pools(cluster_id=cluster.id, region=REGION).pools
    api.wait_for_pool(
        pool_id=pool_obj.id, region=REGION, options=waiter.WaitForOptions(timeout=3600)
    )
    anyio.run(client.aclose)
    return {
        "calls": float(sb.state.calls()),
        "cluster_polls": float(cluster_polls),
        "cluster_overshoot_s": cluster_overshoot,
        "overshoot_s": clock.now() - pool_ready,
        "took_s": clock.now() - started,
    }


def run(trials: int, tmp: str) -> dict[str, Any]:
    """Every lifecycle length: ours once (deterministic), the SDK ``trials`` times."""
    rows = []
    nominal = DURATIONS_S["cluster.creating"] + DURATIONS_S["pool.scaling"]
    for total in TOTALS_S:
        speed = nominal / total
        work = Path(tmp) / f"{total:.0f}"
        work.mkdir(parents=True)
        with SandboxServer(speed=speed, with_s3=False, clock=ManualClock()) as sb:
            ours = anyio.run(_ours, sb, str(work))
        sdk_runs = []
        for _ in range(trials):
            with SandboxServer(speed=speed, with_s3=False, clock=ManualClock()) as sb:
                sdk_runs.append(_sdk(sb))
        sdk = {k: statistics.mean(r[k] for r in sdk_runs) for k in sdk_runs[0]}
        rows.append(
            {
                "ready_after_s": total,
                "ours_calls": ours["calls"],
                "ours_cluster_polls": ours["cluster_polls"],
                "ours_overshoot_s": round(ours["overshoot_s"], 1),
                "sdk_calls_mean": round(sdk["calls"], 1),
                "sdk_calls_median": median([r["calls"] for r in sdk_runs]),
                "sdk_wait_for_cluster_polls_mean": round(sdk["cluster_polls"], 1),
                "sdk_overshoot_s_mean": round(sdk["overshoot_s"], 1),
                "calls_ratio_sdk_over_ours": round(sdk["calls"] / ours["calls"], 2),
            }
        )
    return {"trials": trials, "rows": rows}


def main() -> None:
    """Print the table and write bench/results/k8s_polling.json."""
    import tempfile

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--trials", type=int, default=20, help="SDK waiter runs per case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = run(args.trials, tmp)
    for row in results["rows"]:
        print_table(
            f"cluster + 3-node pool ready after {row['ready_after_s']:.0f} s",
            [(k, str(v)) for k, v in row.items() if k != "ready_after_s"],
        )
    path = write_results("k8s_polling", results)
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
