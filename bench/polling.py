"""API calls per server until it settles: our poll schedule vs the SDK's own waiter.

Both poll the same sandbox lifecycle (real durations, a manual clock, so a 36 s stop takes
no real time): a server is powered on (or off) and polled with ``GET /servers/{id}`` until
it leaves ``starting``/``stopping``.

* ours: ``workers.polling`` server schedule (2 s, growing x1.5 to a 10 s cap);
* SDK: ``scaleway_core.utils.waiter.wait_for_resource`` with default ``WaitForOptions``
  (the options behind every generated ``wait_for_*``, e.g. ``wait_for_server``: delays
  uniform in [1, 2^n] s, then 30 s), with the stop condition of ``wait_for_server``.

Counts GETs per server and the overshoot (detected minus actual settle time).
Run: ``uv run python -m bench.polling [--trials 30]``.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from typing import Any

import anyio

from bench.common import ZERO_UUID, VirtualTime, sandbox_client, write_results
from sandbox.lifecycle import DURATIONS_S, ManualClock
from sandbox.server import SandboxServer
from workers.polling import PollSettings

ZONE = "fr-par-1"
GET_SERVER = "GET /instance/v1/zones/{zone}/servers/{server_id}"
# Real settle times seen in the recordings (min, median, max), seconds.
LIFECYCLES = {
    "start": ("poweron", "server.starting", (5.0, 5.0, 15.0)),
    "stop": ("poweroff", "server.stopping", (20.0, 36.0, 67.0)),
}


def _prepare(sb: SandboxServer, api: Any, action: str) -> tuple[str, float]:
    """A server that just received ``action``; when it will settle."""
    server = api.create_server(
        zone=ZONE, commercial_type="DEV1-S", image="ubuntu_noble", project=ZERO_UUID
    ).server
    if action == "poweroff":
        api.server_action(zone=ZONE, server_id=server.id, action="poweron")
        sb.state.clock.advance(60)  # type: ignore[attr-defined]
    api.server_action(zone=ZONE, server_id=server.id, action=action)
    record = sb.state.get("server", server.id)
    assert record is not None
    return server.id, record.timeline[-1][0]


def _ours(sb: SandboxServer, api: Any, server_id: str) -> None:
    schedule = PollSettings().for_kind("server")
    polls = 0
    while True:
        sb.state.clock.advance(schedule.delay_s(polls))  # type: ignore[attr-defined]
        polls += 1
        state = str(api.get_server(zone=ZONE, server_id=server_id).server.state)
        if state not in ("starting", "stopping"):
            return


def _sdk(sb: SandboxServer, api: Any, server_id: str) -> None:
    from scaleway.instance.v1 import SERVER_TRANSIENT_STATUSES
    from scaleway_core.utils import waiter

    waiter.time = VirtualTime(sb.state.clock)  # type: ignore[assignment,attr-defined]
    waiter.wait_for_resource(
        fetcher=api.get_server,
        options=waiter.WaitForOptions(
            stop=lambda res: res.server.state not in SERVER_TRANSIENT_STATUSES
        ),
        args={"server_id": server_id, "zone": ZONE},
    )


def _measure(
    sb: SandboxServer, api: Any, strategy: Callable[..., None], action: str
) -> tuple[int, float]:
    server_id, settles_at = _prepare(sb, api, action)
    before = sb.state.counters.get(GET_SERVER, 0)
    strategy(sb, api, server_id)
    calls = sb.state.counters.get(GET_SERVER, 0) - before
    return calls, sb.state.clock.now() - settles_at


def run(trials: int) -> dict[str, Any]:
    """Every lifecycle and duration, ours once (deterministic) and the SDK ``trials`` times."""
    rows = []
    for lifecycle, (action, key, durations) in LIFECYCLES.items():
        for duration in sorted(set(durations)):
            speed = DURATIONS_S[key] / duration
            with SandboxServer(speed=speed, with_s3=False, clock=ManualClock()) as sb:
                client = sandbox_client(sb.api_url)
                ours_calls, ours_over = _measure(sb, client.instance, _ours, action)
                sdk = [_measure(sb, client.instance, _sdk, action) for _ in range(trials)]
                anyio.run(client.aclose)
            sdk_calls = statistics.mean(c for c, _ in sdk)
            sdk_over = statistics.mean(o for _, o in sdk)
            rows.append(
                {
                    "lifecycle": lifecycle,
                    "settle_s": duration,
                    "ours_calls": ours_calls,
                    "ours_overshoot_s": round(ours_over, 2),
                    "sdk_calls_mean": round(sdk_calls, 2),
                    "sdk_overshoot_s_mean": round(sdk_over, 2),
                    "calls_ratio_sdk_over_ours": round(sdk_calls / ours_calls, 2),
                }
            )
    return {"trials": trials, "rows": rows}


def main() -> None:
    """Print the table and write bench/results/polling.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30, help="SDK waiter runs per case")
    results = run(parser.parse_args().trials)
    header = (
        "lifecycle",
        "settle s",
        "ours calls",
        "ours late s",
        "SDK calls",
        "SDK late s",
        "SDK/ours calls",
    )
    print("\n| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for r in results["rows"]:
        cells = (
            r["lifecycle"],
            r["settle_s"],
            r["ours_calls"],
            r["ours_overshoot_s"],
            r["sdk_calls_mean"],
            r["sdk_overshoot_s_mean"],
            r["calls_ratio_sdk_over_ours"],
        )
        print("| " + " | ".join(str(c) for c in cells) + " |")
    print(f"\nwrote {write_results('polling', results)}")


if __name__ == "__main__":
    main()
