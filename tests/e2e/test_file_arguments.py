"""File arguments through a real MCP client: confined to the roots, never the secrets folder,
never a silent overwrite, and bad path text refused naming the field before any job exists."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from jobs.store import JobStore
from mcp_front.config import Settings
from mcp_front.runtime import Runtime, open_runtime
from mcp_front.server import build_server
from sandbox.server import SandboxServer

pytestmark = pytest.mark.anyio
ZERO = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(speed=1000) as sb:
        yield sb


@pytest.fixture
def extra_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("extra-root")


@pytest.fixture
async def session(
    sandbox: SandboxServer, make_settings: Callable[..., Settings], extra_root: Path
) -> AsyncIterator[tuple[Client, Runtime]]:
    assert sandbox.s3 is not None
    sandbox.s3.reset()
    settings = make_settings(
        SCW_API_URL=sandbox.api_url,
        SCW_S3_ENDPOINT_URL=sandbox.s3_url,
        SCW_MCP_FILE_ROOTS=str(extra_root),
        SCW_MCP_WAIT_BUDGET_S="10",
    )
    async with open_runtime(settings) as runtime, Client(build_server(runtime)) as client:
        body = await call(client, "create_bucket", name="docs")
        assert body["status"] == "success", body
        yield client, runtime


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert result.structured_content is not None
    return result.structured_content


async def refused(session: tuple[Client, Runtime], tool: str, **args: Any) -> str:
    """The error message of a call that must be refused before any job exists."""
    client, runtime = session
    before = await job_count(runtime.store)
    body = await call(client, tool, **args)
    assert body["status"] == "error", body
    assert await job_count(runtime.store) == before
    message: str = body["message"]
    assert message.startswith("invalid arguments: path:"), message
    return message


def exists(path: str) -> bool:
    return Path(path).exists()


async def job_count(store: JobStore) -> int:
    return sum((await store.count_by_state()).values())


async def test_upload_refuses_the_kubeconfig_in_the_secrets_folder(session: Any) -> None:
    _, runtime = session
    secrets = runtime.settings.secrets_dir
    secrets.mkdir(parents=True, exist_ok=True)
    kubeconfig = secrets / "kubeconfig-prod.yaml"
    kubeconfig.write_text("token: canary")
    message = await refused(session, "upload_object", bucket="docs", key="k", path=str(kubeconfig))
    assert "outside the folders tools may use" in message


async def test_upload_refuses_a_symlink_in_home_that_points_into_secrets(
    session: Any, tmp_path: Path
) -> None:
    _, runtime = session
    runtime.settings.secrets_dir.mkdir(parents=True, exist_ok=True)
    (runtime.settings.secrets_dir / "db.txt").write_text("password")
    link = tmp_path / "innocent.txt"
    link.symlink_to(runtime.settings.secrets_dir / "db.txt")
    message = await refused(session, "upload_object", bucket="docs", key="k", path=str(link))
    assert str(runtime.settings.secrets_dir / "db.txt") in message


@pytest.mark.parametrize("target", ["/etc/shadow", "/etc/passwd", "/proc/self/environ"])
async def test_upload_refuses_system_files(session: Any, target: str) -> None:
    message = await refused(session, "upload_object", bucket="docs", key="k", path=target)
    assert "outside" in message


async def test_upload_refuses_dot_folders_of_home_and_traversal(
    session: Any, tmp_path: Path
) -> None:
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_ed25519").write_text("private key")
    await refused(
        session, "upload_object", bucket="docs", key="k", path=str(tmp_path / ".ssh/id_ed25519")
    )
    sneaky = f"{tmp_path}/data/downloads/../../.ssh/id_ed25519"
    await refused(session, "upload_object", bucket="docs", key="k", path=sneaky)


async def test_upload_reads_from_home_and_from_an_extra_root(
    session: Any, tmp_path: Path, extra_root: Path
) -> None:
    client, _ = session
    for folder in (tmp_path, extra_root):
        source = folder / "report.csv"
        source.write_text("a,b\n")
        body = await call(client, "upload_object", bucket="docs", key="r.csv", path=str(source))
        assert body["status"] == "success", body


@pytest.mark.parametrize(
    ("path", "complaint"),
    [
        ("/tmp/a\x00b", "NUL byte"),
        ("/tmp/" + "x" * 300, "more than 255 bytes"),
        ("/" + "a/" * 3000, "the limit is 4096"),
        ("relative/kube.yaml", "relative"),
        ("   ", "absolute file path"),
    ],
)
async def test_bad_path_text_is_a_validation_error_on_the_field(
    session: Any, path: str, complaint: str
) -> None:
    for tool, args in (
        ("upload_object", {"bucket": "docs", "key": "k"}),
        ("download_object", {"bucket": "docs", "key": "k", "inline": False}),
        ("get_cluster_kubeconfig", {"cluster_id": ZERO}),
    ):
        message = await refused(session, tool, path=path, **args)
        assert complaint in message, (tool, message)


async def test_kubeconfig_never_replaces_a_file_or_creates_folders(
    session: Any, tmp_path: Path
) -> None:
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("mine")
    message = await refused(session, "get_cluster_kubeconfig", cluster_id=ZERO, path=str(unrelated))
    assert "overwrite" in message and unrelated.read_text() == "mine"

    nowhere = tmp_path / "new" / "dir" / "kube.yaml"
    message = await refused(session, "get_cluster_kubeconfig", cluster_id=ZERO, path=str(nowhere))
    assert "does not exist" in message and not (tmp_path / "new").exists()

    message = await refused(session, "get_cluster_kubeconfig", cluster_id=ZERO, path="/etc/kube")
    assert "outside" in message and not exists("/etc/kube")


async def test_download_refuses_to_write_outside_the_roots_or_into_secrets(
    session: Any, tmp_path: Path
) -> None:
    client, runtime = session
    body = await call(client, "upload_object", bucket="docs", key="a.txt", text="hello")
    assert body["status"] == "success", body
    for target in ("/etc/cron.d/evil", str(runtime.settings.secrets_dir / "x.yaml")):
        await refused(session, "download_object", bucket="docs", key="a.txt", path=target)
    assert not exists("/etc/cron.d/evil")

    # A key whose last part is ".." still lands in the downloads folder, never above it.
    body = await call(client, "upload_object", bucket="docs", key="x/..", text="up")
    assert body["status"] == "success", body
    down = await call(client, "download_object", bucket="docs", key="x/..", inline=False)
    assert down["status"] == "success", down
    written = Path(down["data"]["path"])
    assert written.parent == runtime.settings.data_dir / "downloads" / "docs"
