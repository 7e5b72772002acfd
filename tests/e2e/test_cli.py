"""The command line as a user runs it: subprocesses, real files, real exit codes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from functools import partial
from pathlib import Path

import anyio
import pytest

import migrations
from jobs.database import create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.store import JobStore
from mcp_front import __version__
from tests.e2e.stdio_support import REPO_ROOT, serve_command, serve_env


def run_cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mcp_front", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


async def _enqueue(
    data_dir: Path, count: int, *, operation: str = "test.count", **params: object
) -> list[str]:
    db = create_database(sqlite_url(data_dir / "jobs.db"))
    try:
        await upgrade_database(db)
        store = JobStore(db)
        ids = []
        for _ in range(count):
            job, _ = await store.enqueue(
                operation,
                {"log_path": str(data_dir / "log"), **params},
                run_after_at=store.clock.now() + 3600,
            )
            ids.append(job.id)
        return ids
    finally:
        await db.close()


def test_version_and_help(tmp_path: Path) -> None:
    env = serve_env(tmp_path)
    version = run_cli("--version", env=env)
    assert version.returncode == 0 and __version__ in version.stdout
    helptext = run_cli("--help", env=env)
    for command in ("serve", "db", "jobs", "sandbox"):
        assert command in helptext.stdout


def test_serve_without_credentials_names_what_is_missing(tmp_path: Path) -> None:
    env = serve_env(tmp_path)
    for name in ("SCW_ACCESS_KEY", "SCW_SECRET_KEY", "SCW_DEFAULT_PROJECT_ID"):
        env.pop(name)
    result = run_cli("serve", env=env)
    assert result.returncode == 2
    assert result.stdout == ""  # stdout is reserved for JSON-RPC
    for name in ("SCW_ACCESS_KEY", "SCW_SECRET_KEY", "SCW_DEFAULT_PROJECT_ID", "--sandbox"):
        assert name in result.stderr


def test_serve_with_an_unknown_zone_lists_the_valid_ones(tmp_path: Path) -> None:
    result = run_cli("serve", env=serve_env(tmp_path, SCW_DEFAULT_ZONE="mars-1"))
    assert result.returncode == 2
    assert "mars-1" in result.stderr and "fr-par-1" in result.stderr and "nl-ams-1" in result.stderr


def test_db_upgrade_then_jobs_list_show_cancel(tmp_path: Path) -> None:
    env = serve_env(tmp_path)
    upgraded = run_cli("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"revision {migrations.HEAD}" in upgraded.stdout

    ids = anyio.run(_enqueue, tmp_path, 2)
    listing = run_cli("jobs", "list", env=env)
    assert listing.returncode == 0, listing.stderr
    assert all(job_id in listing.stdout for job_id in ids)
    assert "queued" in listing.stdout and "test.count" in listing.stdout
    # Operation names are shown whole, however long.
    anyio.run(partial(_enqueue, tmp_path, 1, operation="test.count_with_a_long_name"))
    assert "test.count_with_a_long_name " in run_cli("jobs", "list", env=env).stdout

    shown = run_cli("jobs", "show", ids[0], env=env)
    assert shown.returncode == 0 and f'"id": "{ids[0]}"' in shown.stdout

    cancelled = run_cli("jobs", "cancel", ids[0], env=env)
    assert cancelled.returncode == 0 and "cancelled" in cancelled.stdout
    only_queued = run_cli("jobs", "list", "--state", "queued", env=env)
    assert ids[1] in only_queued.stdout and ids[0] not in only_queued.stdout

    again = run_cli("jobs", "cancel", ids[0], env=env)
    assert again.returncode == 2 and "already cancelled" in again.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("jobs", "show", "nope"), "is not a job id"),
        (("jobs", "show", "00000000-0000-0000-0000-000000000000"), "no job with id"),
        (("jobs", "list", "--state", "sleeping"), "is not a state"),
        (("jobs", "list", "--limit", "-1"), "-1 is not between 1 and 1000"),
        (("jobs", "list", "--limit", "ten"), "'ten' is not a whole number"),
    ],
)
def test_jobs_commands_reject_bad_input_clearly(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    result = run_cli(*args, env=serve_env(tmp_path))
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_corrupt_database_stops_start_up_and_is_left_untouched(tmp_path: Path) -> None:
    db_file = tmp_path / "jobs.db"
    db_file.write_bytes(b"this is not a database" * 100)
    before = db_file.read_bytes()
    result = run_cli("jobs", "list", env=serve_env(tmp_path))
    assert result.returncode == 2
    assert "cannot open the job database" in result.stderr
    assert db_file.read_bytes() == before


def test_newer_database_stops_start_up_and_is_left_untouched(tmp_path: Path) -> None:
    env = serve_env(tmp_path)
    assert run_cli("db", "upgrade", env=env).returncode == 0
    db_file = tmp_path / "jobs.db"
    with closing(sqlite3.connect(db_file)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    before = db_file.read_bytes()
    result = run_cli("db", "upgrade", env=env)
    assert result.returncode == 2
    assert "9999_future" in result.stderr and "newer than this release" in result.stderr
    assert db_file.read_bytes() == before


def _job_states(db_file: Path) -> dict[str, str]:
    with closing(sqlite3.connect(db_file)) as conn:
        return dict(conn.execute("SELECT id, state FROM jobs").fetchall())


def _sigterm_serve_once(
    tmp_path: Path, env: dict[str, str], ready: Callable[[], bool]
) -> tuple[int, str]:
    """Start serve with every stored job due now, SIGTERM it once ``ready()``, wait for exit."""
    with closing(sqlite3.connect(tmp_path / "jobs.db")) as conn, conn:
        conn.execute("UPDATE jobs SET run_after_at = 0")
    process = subprocess.Popen(
        serve_command(),
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready():
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, stderr.decode()


def test_sigterm_stops_gracefully_and_releases_running_jobs(tmp_path: Path) -> None:
    env = serve_env(tmp_path, SCW_MCP_LEASE_S="60")
    ids = anyio.run(partial(_enqueue, tmp_path, 3, polls=200, poll_s=0.01))
    log = tmp_path / "log"

    code, stderr = _sigterm_serve_once(
        tmp_path, env, lambda: log.exists() and log.read_text().count("poll") >= 10
    )

    assert code == 0, stderr
    assert "shutting down" in stderr
    states = _job_states(tmp_path / "jobs.db")
    # Nothing is left leased to the dead process: every job is done or back in line.
    assert set(states) == set(ids)
    assert all(state in ("queued", "waiting", "succeeded") for state in states.values()), states


def test_sigterm_releases_a_step_that_outlives_the_grace_period(tmp_path: Path) -> None:
    env = serve_env(tmp_path, SCW_MCP_LEASE_S="60", SCW_MCP_SHUTDOWN_GRACE_S="0.5")
    (job_id,) = anyio.run(partial(_enqueue, tmp_path, 1, polls=1, step_sleep_s=60))

    code, stderr = _sigterm_serve_once(
        tmp_path, env, lambda: _job_states(tmp_path / "jobs.db").get(job_id) == "running"
    )

    assert code == 0, stderr
    # The step could not finish in the grace period: the job went back to the queue at
    # once, instead of waiting a full lease (60 s) for another worker to take it.
    assert _job_states(tmp_path / "jobs.db")[job_id] == "queued"
    assert "released" in stderr


def test_sigterm_stops_stdio_serve_while_the_client_keeps_stdin_open(tmp_path: Path) -> None:
    # An assistant that sends SIGTERM does not always close the pipe first: the stdin reader
    # must not keep the server (and its released jobs) waiting for the client to hang up.
    env = serve_env(tmp_path, SCW_MCP_LEASE_S="60")
    ids = anyio.run(partial(_enqueue, tmp_path, 2, polls=200, poll_s=0.01))
    log, stderr_file = tmp_path / "log", tmp_path / "stderr"
    with closing(sqlite3.connect(tmp_path / "jobs.db")) as conn, conn:
        conn.execute("UPDATE jobs SET run_after_at = 0")
    with stderr_file.open("wb") as stderr:
        process = subprocess.Popen(
            serve_command(), env=env, cwd=REPO_ROOT, stdin=subprocess.PIPE, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 30
        while not (log.exists() and log.read_text().count("poll") >= 10):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)  # stdin stays open all along
    finally:
        if process.poll() is None:
            process.kill()
        assert process.stdin is not None
        process.stdin.close()
    text = stderr_file.read_text()
    assert code == 0, text
    assert "shutting down" in text and "Traceback" not in text, text
    states = _job_states(tmp_path / "jobs.db")
    assert set(states) == set(ids)
    assert all(state in ("queued", "waiting", "succeeded") for state in states.values()), states


def test_serve_on_a_corrupt_database_exits_with_one_clear_message(tmp_path: Path) -> None:
    db_file = tmp_path / "jobs.db"
    db_file.write_bytes(b"this is not a database" * 100)
    before = db_file.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "mcp_front", "serve"],
        env=serve_env(tmp_path),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        input="",
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "cannot open the job database" in result.stderr
    assert "Traceback" not in result.stderr
    assert db_file.read_bytes() == before


def test_jobs_output_cut_short_by_its_reader_ends_quietly(tmp_path: Path) -> None:
    env = serve_env(tmp_path)
    anyio.run(_enqueue, tmp_path, 3)
    # `jobs list | head -0`: the reader is gone before the listing is written.
    listing = subprocess.Popen(
        [*serve_command()[:-1], "jobs", "list"],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.close()
    stderr = listing.stderr.read().decode()
    assert listing.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
