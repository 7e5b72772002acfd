"""The reliability suite, short: a few SIGKILLs, the fault mix, the canaries and a shared store.

The long run (hundreds of kills, thousands of fuzzed calls) is ``scripts/reliability.py``; the
short fuzz run is test_fuzz_tools.py, the hostile-storage cases test_disk_full.py and the
database tests.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.support import reliability

pytestmark = pytest.mark.anyio


# A hang guard, not a timing assertion: 30 s on a quiet machine, over 120 s on a saturated one.
@pytest.mark.timeout(300)
async def test_sigkills_during_every_products_creates_and_deletes_lose_nothing(
    tmp_path: Path,
) -> None:
    tally = await reliability.kill_storm(tmp_path, kills=3, rounds=1)
    assert tally.problems == []
    rows = tally.rows
    assert rows["SIGKILLs"] == 3 and rows["jobs"] >= 10
    assert rows["lost jobs"] == rows["stuck jobs"] == 0
    assert rows["duplicate resources"] == rows["unreported resources"] == 0


async def test_every_job_succeeds_through_429s_5xx_and_drops_on_every_route(
    tmp_path: Path,
) -> None:
    tally = await reliability.fault_mix(tmp_path, rounds=1)
    assert tally.rows["failed jobs"] == 0, tally.problems
    assert tally.rows["faults injected"] > 0


async def test_secret_canaries_appear_nowhere_outside_the_secrets_folder(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tally = await reliability.canaries(tmp_path, caplog.records)
    assert tally.problems == []
    assert tally.rows["secret key canary hits"] == 0
    assert tally.rows["password canary hits"] == 0
    assert tally.rows["token canary hits"] == 0
    assert tally.rows["log lines searched"] > 100


async def test_four_processes_on_one_store_never_run_a_step_twice(tmp_path: Path) -> None:
    tally = await reliability.shared_store(tmp_path, processes=4, jobs=24)
    assert tally.rows["succeeded"] == 24
    assert tally.rows["double executions"] == 0
