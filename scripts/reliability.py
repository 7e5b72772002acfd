"""The long reliability suite: SIGKILLs, the fault mix, fuzzing, canaries and a shared store.

    uv run python scripts/reliability.py [--kills 200] [--fuzz 10000] [--rounds 4]

Prints one table (the one in docs/reliability.md) and writes bench/results/reliability.json.
The short version of each trial runs in CI (tests/e2e/test_reliability_short.py).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fuzz
from bench.common import write_results
from tests.support import reliability


class _Keep(logging.Handler):
    """Keeps every log record of this process, for the canary search."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def main(args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []

    def add(trial: str, tally: reliability.Tally, seconds: float, goal: str) -> None:
        text = ", ".join(f"{k}: {v}" for k, v in tally.rows.items())
        rows.append((trial, text, goal, f"{seconds:.0f}"))
        for problem in tally.problems[:10]:
            print(f"  {trial}: {problem}", file=sys.stderr)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, goal, trial in (
            (
                "SIGKILL storm",
                "0 lost, 0 duplicates, 0 stuck, 0 unreported",
                lambda w: reliability.kill_storm(
                    w, kills=args.kills, rounds=args.rounds, killers=args.killers
                ),
            ),
            (
                "fault mix (20% 429, 10% 5xx, 5% drops, API and S3)",
                "0 failed jobs",
                lambda w: reliability.fault_mix(w, rounds=args.rounds),
            ),
            (
                "4 processes on one store",
                "0 double executions",
                lambda w: reliability.shared_store(w, processes=4, jobs=args.shared_jobs),
            ),
        ):
            folder = work / name.split()[0]
            folder.mkdir()
            started = time.perf_counter()
            add(name, await trial(folder), time.perf_counter() - started, goal)
            print(rows[-1], file=sys.stderr)
            if args.only == "kills":
                return rows

        keep = _Keep()
        logging.getLogger().addHandler(keep)
        logging.getLogger().setLevel(logging.DEBUG)
        folder = work / "canaries"
        folder.mkdir()
        started = time.perf_counter()
        tally = await reliability.canaries(folder, keep.records)
        logging.getLogger().removeHandler(keep)
        logging.getLogger().setLevel(logging.WARNING)
        add("canaries", tally, time.perf_counter() - started, "0 hits")

    logging.disable(logging.ERROR)
    started = time.perf_counter()
    fuzzed = await fuzz.run(args.fuzz, 0, 4, 0.0)
    logging.disable(logging.NOTSET)
    tally = reliability.Tally(
        rows={
            "calls": fuzzed.calls,
            "crashes or internal errors": len(fuzzed.broken),
            "jobs from invalid calls": fuzzed.stray_jobs,
        },
        problems=fuzzed.broken,
    )
    add("fuzzing every tool", tally, time.perf_counter() - started, "0 crashes, 0 internal")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--killers", type=int, default=3, help="serve processes killed at once")
    parser.add_argument("--only", choices=["kills"], help="run only the SIGKILL storm")
    parser.add_argument("--fuzz", type=int, default=10_000)
    parser.add_argument("--shared-jobs", type=int, default=200)
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    table = anyio.run(main, options)
    print("\n| trial | measured | goal | seconds |\n|---|---|---|---|")
    for trial, text, goal, seconds in table:
        print(f"| {trial} | {text} | {goal} | {seconds} |")
    write_results("reliability", {"rows": [list(r) for r in table]})
