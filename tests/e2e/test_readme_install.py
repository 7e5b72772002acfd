"""The README's two commands, word for word, on Debian's own python3 (PEP 668) in a clean HOME.

A copy of this folder, ``PATH=/usr/bin:/bin`` (no uv anywhere, no pyenv), an empty HOME. Only
the machine's network settings (CA bundle, proxies) and the download caches of uv and pip are
kept from the host, so that CI does not fetch every wheel again. ``.ci/debian_python.sh``
installs Debian's python3 in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import FAKE_ENV
from tests.e2e.stdio_support import REPO_ROOT

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(900)]

SYSTEM_PYTHON = Path("/usr/bin/python3")


def debian_python() -> bool:
    """Whether /usr/bin/python3 is a distribution's, marked externally managed (PEP 668)."""
    if not SYSTEM_PYTHON.exists():
        return False
    stdlib = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return bool(stdlib) and (Path(stdlib) / "EXTERNALLY-MANAGED").exists()


def readme_commands() -> tuple[str, str]:
    """The two commands of the README's "The two commands" block: serve, then tests."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## The two commands", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.startswith("python3 ")]
    assert len(commands) == 2, commands
    return commands[0], commands[1]


def copy_of_repo(target: Path) -> Path:
    """This folder's tracked and new files (what a clone has), without any environment."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


# The machine's network settings (certificate authorities, proxies, package index), kept.
NETWORK_VARIABLES = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_DEFAULT_TIMEOUT",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_NATIVE_TLS",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)


def clean_env(home: Path) -> dict[str, str]:
    """A clean HOME on Debian's PATH; the machine's network settings and download caches."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    env.update({k: os.environ[k] for k in NETWORK_VARIABLES if k in os.environ})
    for variable, default in (
        ("UV_CACHE_DIR", Path.home() / ".cache" / "uv"),
        ("PIP_CACHE_DIR", Path.home() / ".cache" / "pip"),
    ):
        cache = Path(os.environ.get(variable, default))
        if cache.is_dir():
            env[variable] = str(cache)
    return env


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``command``; its completed process (text)."""
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(not debian_python(), reason="needs Debian's python3 (.ci/debian_python.sh)")
async def test_readme_commands_work_on_debian_python_in_a_clean_home(tmp_path: Path) -> None:
    repo = copy_of_repo(tmp_path / "scaleway-mcp-connector")
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(home)
    serve_command, test_command = readme_commands()

    # The premise: this python3 refuses a plain pip install (the old README command).
    refused = run(["python3", "-m", "pip", "install", "uv"], repo, env)
    assert refused.returncode != 0
    assert "externally-managed-environment" in refused.stderr

    # Command 1, as an MCP client runs a server: the sandbox answers, labelled as such.
    params = StdioServerParameters(command="/bin/sh", args=["-c", serve_command], env=env, cwd=repo)
    async with Client(params) as client:
        assert len((await client.list_tools()).tools) >= 30
        listed = await client.call_tool("list_buckets", {})
    assert not listed.is_error, listed.content
    assert "sandbox" in str(listed.structured_content)

    # What the client configurations name exists; the run command installed no dev tools.
    program = repo / ".venv" / "bin" / "scaleway-mcp-connector"
    assert program.exists()
    python = str(repo / ".venv" / "bin" / "python")
    for tool in ("pytest", "ruff"):
        assert run([python, "-c", f"import {tool}"], repo, env).returncode != 0, tool

    # The runtime alone (real cloud): plain serve works; serve --sandbox says how to get it.
    slim = run([str(repo / ".uv" / "bin" / "uv"), "sync", "--locked", "--no-dev"], repo, env)
    assert slim.returncode == 0, slim.stderr
    assert run([python, "-c", "import moto"], repo, env).returncode != 0
    no_sandbox = run([str(program), "serve", "--sandbox"], repo, env)
    assert no_sandbox.returncode == 2
    assert "'sandbox' extra" in no_sandbox.stderr
    params = StdioServerParameters(
        command=str(program), args=["serve"], env={**env, **FAKE_ENV}, cwd=repo
    )
    async with Client(params) as client:
        assert len((await client.list_tools()).tools) >= 30

    # Command 2 (one small test file appended, not the whole suite again).
    tests = run(["/bin/sh", "-c", f"{test_command} tests/unit/test_states.py"], repo, env)
    assert tests.returncode == 0, tests.stdout[-2000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    _, test_command = readme_commands()
    assert test_command in (REPO_ROOT / ".ci" / "run").read_text()


def test_client_configurations_name_the_program_the_install_creates() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    commands = re.findall(r'"command": "([^"]+)"', readme)
    assert commands, "no client configuration in the README"
    assert set(commands) == {"/path/to/scaleway-mcp-connector/.venv/bin/scaleway-mcp-connector"}
