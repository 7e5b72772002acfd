"""How fast a job resumes after its process is SIGKILLed and started again, default settings.

    uv run python -m bench.restart [--rounds 2]

A ``worker`` runs a polling job (the test operation ``test.count``); it is SIGKILLed mid-job
and a new process is started on the same job database: the time from that start to the
job's next side effect is the resume time. The default lease is 30 s: without taking over
the dead process's lease at once the job would wait for it. Three ways to start again:

- ``serve``, launched by an MCP client: the client sends initialize and tools/list at once,
  as every client does when it starts a stdio server (the job runtime opens after tools/list);
- ``worker``: the standalone worker (systemd, compose), which opens the runtime at once;
- ``serve`` with no client talking: the runtime opens 2 s after start (its fallback).

In the same run, alternating, the baseline for each: the same start with the job simply
queued (a fresh start). Each start's log says when the front served, the runtime began to
open, the pool started and the dead lease was taken over: the medians of those moments show
where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import anyio

from bench.common import ZERO_UUID, median, print_table, write_results
from jobs.database import create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.store import JobStore

REPO = Path(__file__).resolve().parents[1]
KINDS = ("client", "worker", "idle")
COMMANDS = {"client": ["serve"], "worker": ["worker"], "idle": ["serve"]}
# Log lines that mark the moments of a start, in order.
MOMENTS = {
    "front served": "serving scaleway-mcp-connector",
    "runtime opening": "opening the job runtime",
    "pool started": "worker pool ",
    "lease taken over": "taking over ",
}


def _env(data_dir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(data_dir),
        "PYTHONPATH": str(REPO),
        "SCW_MCP_DATA_DIR": str(data_dir),
        "SCW_MCP_EXTRA_OPERATIONS": "tests.support.counting_ops",
        "SCW_ACCESS_KEY": "SCWXXXXXXXXXXXXXXXXX",
        "SCW_SECRET_KEY": ZERO_UUID,
        "SCW_DEFAULT_PROJECT_ID": ZERO_UUID,
    }


async def _enqueue(data_dir: Path, log: Path) -> None:
    db = create_database(sqlite_url(data_dir / "jobs.db"), create_dir=True)
    try:
        await upgrade_database(db)
        params = {"log_path": str(log), "polls": 10_000, "poll_s": 0.2}
        await JobStore(db).enqueue("test.count", params)
    finally:
        await db.close()


def _lines(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def _start(kind: str, env: dict[str, str], stderr: Path) -> subprocess.Popen[bytes]:
    with stderr.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "mcp_front", *COMMANDS[kind]],
            env=env,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if kind == "client" else subprocess.DEVNULL,
            stderr=err,
        )


def _handshake(process: subprocess.Popen[bytes]) -> None:
    """What an MCP client sends when it starts a stdio server: initialize, then tools/list."""
    assert process.stdin is not None and process.stdout is not None
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "bench.restart", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    process.stdin.write(json.dumps(messages[0]).encode() + b"\n")
    process.stdin.flush()
    process.stdout.readline()
    for message in messages[1:]:
        process.stdin.write(json.dumps(message).encode() + b"\n")
    process.stdin.flush()
    process.stdout.readline()


def _until_new_line(log: Path, seen: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while _lines(log) <= seen:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)


def _moments(stderr: Path, started_at: float) -> dict[str, float]:
    """Seconds from the start to each logged moment (log times have millisecond precision)."""
    found: dict[str, float] = {}
    for line in stderr.read_text(errors="replace").splitlines():
        try:
            at = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        except ValueError:
            continue
        for name, marker in MOMENTS.items():
            if name not in found and marker in line:
                found[name] = at - started_at
    return found


def seconds_to_progress(folder: Path, kind: str, *, after_kill: bool) -> dict[str, float]:
    """Seconds from a start to the job's next side effect, and to the moments on the way."""
    log = folder / "effects.log"
    anyio.run(_enqueue, folder, log)
    env = _env(folder)
    if after_kill:
        first = _start("worker", env, folder / "first.err")
        _until_new_line(log, 1, first)  # created and polled once: mid-job
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    seen = _lines(log)
    started_at, started = time.time(), time.perf_counter()
    second = _start(kind, env, folder / "second.err")
    try:
        if kind == "client":
            _handshake(second)
        _until_new_line(log, seen, second)
        progress = time.perf_counter() - started
    finally:
        second.kill()
        second.wait(30)
    return {**_moments(folder / "second.err", started_at), "progress": progress}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {
        f"{kind} {case}": [] for kind in KINDS for case in ("resume", "fresh")
    }
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        for round_ in range(args.rounds):
            for kind in KINDS:
                order = [True, False] if round_ % 2 == 0 else [False, True]
                for after_kill in order:
                    case = "resume" if after_kill else "fresh"
                    folder = Path(tmp) / f"r{round_}-{kind}-{case}"
                    folder.mkdir()
                    timings = seconds_to_progress(folder, kind, after_kill=after_kill)
                    results[f"{kind} {case}"].append(timings)

    def med(key: str, moment: str) -> float:
        return median([t[moment] for t in results[key] if moment in t])

    titles = {
        "client": "serve started by an MCP client",
        "worker": "worker",
        "idle": "serve, no client talking",
    }
    rows = [("rounds", str(args.rounds)), ("default lease", "30 s")]
    for kind in KINDS:
        resume, fresh = med(f"{kind} resume", "progress"), med(f"{kind} fresh", "progress")
        rows.append(
            (
                f"{titles[kind]}: resume / fresh start, median",
                f"{resume:.2f} s / {fresh:.2f} s ({resume / fresh:.2f})",
            )
        )
        steps = [
            f"{name} {med(f'{kind} resume', name):.2f}"
            for name in MOMENTS
            if any(name in t for t in results[f"{kind} resume"])
        ]
        rows.append((f"{titles[kind]}: resume, moments (s)", ", ".join(steps)))
    print_table("Resume after SIGKILL (default settings)", rows)
    path = write_results("restart", results)
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
