"""Bad job database URLs: one clear line on stderr, exit 2, no traceback, no file created."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.e2e.stdio_support import serve_env
from tests.e2e.test_cli import run_cli


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


BAD_URLS = {
    "sync sqlite driver": ("sqlite:///{tmp}/jobs.db", "sqlite+aiosqlite:///"),
    "missing postgres driver": ("postgresql://u@127.0.0.1/db", "postgresql+asyncpg://"),
    "unsupported backend": ("mysql+aiomysql://u@127.0.0.1/db", "mysql is not supported"),
    "not a url": ("not a url", "is not a URL"),
    "missing folder": ("sqlite+aiosqlite:///{tmp}/missing/jobs.db", "does not exist"),
    "unreachable server": (
        "postgresql+asyncpg://u:pw@127.0.0.1:{port}/db",
        "cannot open the job database",
    ),
}


COMMANDS = [("db", "upgrade"), ("worker",), ("jobs", "list")]


# Each case through one of the commands in turn: they share the URL check (a process each).
@pytest.mark.parametrize(
    ("case", "command"), [(c, COMMANDS[i % len(COMMANDS)]) for i, c in enumerate(sorted(BAD_URLS))]
)
def test_a_bad_database_url_is_one_line_and_exit_2(
    tmp_path: Path, case: str, command: tuple[str, ...]
) -> None:
    template, expected = BAD_URLS[case]
    url = template.format(tmp=tmp_path, port=_closed_port())
    result = run_cli(*command, "--database-url", url, env=serve_env(tmp_path / "data"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "pw" not in result.stderr  # the password stays hidden
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing created


def test_read_only_commands_never_create_the_database_file(tmp_path: Path) -> None:
    env = serve_env(tmp_path / "data")
    listing = run_cli("jobs", "list", env=env)
    assert listing.returncode == 0 and "no job database at" in listing.stdout
    show = run_cli("jobs", "show", "00000000-0000-0000-0000-000000000000", env=env)
    assert show.returncode == 2 and "no job database at" in show.stderr
    assert "Traceback" not in listing.stderr + show.stderr
    assert not (tmp_path / "data").exists()


def test_wrong_postgres_credentials_are_one_line(tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    from tests.support.backends import postgres_admin_url

    url = make_url(postgres_admin_url()).set(username="nobody", password="pw")
    result = run_cli(
        "jobs",
        "list",
        "--database-url",
        url.render_as_string(hide_password=False),
        env=serve_env(tmp_path),
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nobody" in lines[0] and "pw" not in lines[0], result.stderr
