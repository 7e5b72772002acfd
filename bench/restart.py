"""How fast a job resumes after its server is SIGKILLed and started again, default settings.

    uv run python -m bench.restart [--rounds 3]

A ``serve`` process runs a polling job (the test operation ``test.count``); it is SIGKILLed
mid-job and a new ``serve`` is started: the time from that start to the job's next side
effect is the resume time. The default lease is 30 s: without taking over the dead process's
lease the job would wait for it. In the same run, alternating, the baseline: a fresh
``serve`` starting a job that is simply queued (process start + first step).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

from bench.common import ZERO_UUID, median, print_table, write_results
from jobs.database import create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.store import JobStore

REPO = Path(__file__).resolve().parents[1]


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


def _serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "mcp_front", "serve"],
        env=env,
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _until_new_line(log: Path, seen: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while _lines(log) <= seen:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)


def seconds_to_progress(folder: Path, *, after_kill: bool) -> float:
    """Seconds from a serve's start to the job's next side effect."""
    log = folder / "effects.log"
    anyio.run(_enqueue, folder, log)
    env = _env(folder)
    if after_kill:
        first = _serve(env)
        _until_new_line(log, 1, first)  # created and polled once: mid-job
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    seen = _lines(log)
    started = time.perf_counter()
    second = _serve(env)
    try:
        _until_new_line(log, seen, second)
        return time.perf_counter() - started
    finally:
        second.kill()
        second.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    resumed: list[float] = []
    fresh: list[float] = []
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        for round_ in range(args.rounds):
            order = [True, False] if round_ % 2 == 0 else [False, True]
            for after_kill in order:
                folder = Path(tmp) / f"r{round_}-{'kill' if after_kill else 'fresh'}"
                seconds = seconds_to_progress(folder, after_kill=after_kill)
                (resumed if after_kill else fresh).append(seconds)
    rows = [
        ("rounds", str(args.rounds)),
        ("SIGKILL -> restart -> next progress, median", f"{median(resumed):.2f} s"),
        ("fresh start -> first progress, median", f"{median(fresh):.2f} s"),
        ("resume / fresh start", f"{median(resumed) / median(fresh):.2f}"),
        ("default lease (what a resume waited before)", "30 s"),
    ]
    print_table("Resume after SIGKILL (default settings)", rows)
    path = write_results("restart", {"resumed_s": resumed, "fresh_s": fresh})
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
