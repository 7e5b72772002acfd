"""`serve` on a job database it cannot use exits 2 with one line, even while the client waits.

The client keeps stdin open (as a real one does): the server must not wait for it to hang up.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.stdio_support import REPO_ROOT, serve_command, serve_env
from tests.e2e.test_cli import run_cli


def _serve_with_stdin_open(env: dict[str, str]) -> tuple[int, str]:
    process = subprocess.Popen(
        serve_command(),
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # A safety net against the hang this guards, not a timing assertion.
        code = process.wait(60)
        return code, process.stderr.read().decode()  # type: ignore[union-attr]
    finally:
        if process.poll() is None:
            process.kill()
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()  # type: ignore[union-attr]


@contextmanager
def _read_only_folder(folder: Path) -> Iterator[None]:
    """Make ``folder`` unwritable, for root too (the immutable flag), and restore it."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield
        folder.chmod(0o755)
        return
    subprocess.run(["chattr", "+i", str(folder)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_corrupt_file_stops_serve_while_the_client_is_still_connected(tmp_path: Path) -> None:
    (tmp_path / "jobs.db").write_bytes(b"this is not a database" * 100)
    code, stderr = _serve_with_stdin_open(serve_env(tmp_path))
    assert code == 2
    errors = [line for line in stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "not a job database" in errors[0], stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("database_exists", [True, False])
def test_a_read_only_folder_stops_serve_while_the_client_is_still_connected(
    tmp_path: Path, database_exists: bool
) -> None:
    env = serve_env(tmp_path)
    if database_exists:
        assert run_cli("db", "upgrade", env=env).returncode == 0
    with _read_only_folder(tmp_path):
        code, stderr = _serve_with_stdin_open(env)
    assert code == 2
    errors = [line for line in stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "cannot open the job database" in errors[0], stderr
    assert "Traceback" not in stderr
