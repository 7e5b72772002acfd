"""The job monitor view (an MCP App) rendered by a real headless Chromium (Debian's package,
installed by .ci/chromium.sh): a running job with its cancel button, a failed job with its
error, each screenshot and read back from the page."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.types import CallToolResult, TextResourceContents

from mcp_front.config import Settings
from mcp_front.monitor_view import VIEW_URI
from sandbox.server import SandboxServer
from tests.e2e.client_support import call, connected, no_wait_settings

pytestmark = pytest.mark.anyio
SHOTS = Path(__file__).resolve().parents[2] / "bench" / "results"
HOST_SCRIPT = """<script>
const asked = [];
window.addEventListener("message", (e) => { if (e.data && e.data.method) asked.push(e.data); });
window.postMessage({jsonrpc: "2.0", method: "ui/notifications/tool-result", params: RESULT}, "*");
setTimeout(() => { CLICK }, 200);
setTimeout(() => { const out = document.createElement("pre"); out.id = "asked";
  out.textContent = JSON.stringify(asked); out.hidden = true; document.body.append(out); }, 500);
</script>"""


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox where a cluster takes long enough to be seen running."""
    with SandboxServer(speed=20, seed=0, with_s3=False) as sb:
        yield sb


@pytest.fixture
def settings(sandbox: SandboxServer, make_settings: Callable[..., Settings]) -> Settings:
    return no_wait_settings(sandbox, make_settings, poll_scale="0.01")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Chromium is missing: run .ci/chromium.sh (apt-get install chromium)"
    return found


def host_page(view: str, result: CallToolResult, click_cancel: bool) -> str:
    """The view plus a stand-in host: it delivers the tool result the way an MCP host does
    (``ui/notifications/tool-result``), may click Cancel, and writes what the view asked
    the host for into the page."""
    payload = json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True))
    click = 'document.querySelector("button.cancel").click();' if click_cancel else ""
    host = HOST_SCRIPT.replace("RESULT", payload.replace("</", "<\\/")).replace("CLICK", click)
    return view.replace("</body>", host + "</body>")


def render(page: str, name: str, tmp_path: Path) -> tuple[str, Path]:
    """The DOM after the scripts ran, and a screenshot, from headless Chromium."""
    source = tmp_path / f"{name}.html"
    source.write_text(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"monitor-{name}.png"
    common = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    common += ["--virtual-time-budget=1500", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*common, "--dump-dom", source.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr
    taken = subprocess.run(
        [*common, "--window-size=640,360", f"--screenshot={shot}", source.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert taken.returncode == 0 and shot.stat().st_size > 5000, taken.stderr
    return dom.stdout, shot


def asked_of(dom: str) -> list[dict[str, Any]]:
    found = re.search(r'<pre id="asked" hidden="">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return list(json.loads(html.unescape(found.group(1))))


def job_card(dom: str, job_id: str) -> str:
    found = re.search(rf'<section class="job" data-job-id="{job_id}".*?</section>', dom, re.S)
    assert found, dom
    return found.group(0)


async def test_the_view_is_served_and_bound_to_the_job_tools(
    settings: Settings, sandbox: SandboxServer
) -> None:
    async with connected(settings, sandbox.api_url, "2026-07-28") as (client, _):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        read = await client.read_resource(VIEW_URI)
        discovered = await client.session.send_discover("2026-07-28")

    # (the SDK advertises extensions on 2026-07-28 connections only)
    assert "io.modelcontextprotocol/ui" in discovered["capabilities"]["extensions"]
    for name in ("get_job_status", "list_jobs"):
        assert (tools[name].meta or {})["ui"]["resourceUri"] == VIEW_URI
    [content] = read.contents
    assert isinstance(content, TextResourceContents)
    assert content.mime_type == "text/html;profile=mcp-app" and "ui/initialize" in content.text


async def test_running_job_shows_progress_and_its_cancel_button_cancels_it(
    settings: Settings, sandbox: SandboxServer, tmp_path: Path
) -> None:
    async with connected(settings, sandbox.api_url, "legacy") as (client, _):
        view = (await client.read_resource(VIEW_URI)).contents[0].text  # type: ignore[union-attr]
        started = await call(client, "create_cluster", name="web", node_type="DEV1-M")
        job_id = started["job"]["id"]
        status = await client.call_tool("get_job_status", {"job_id": job_id, "wait_s": 0.5})
        listed = await client.call_tool("list_jobs", {"state": ["queued", "running", "waiting"]})
        dom, shot = render(host_page(view, status, click_cancel=True), "running", tmp_path)
        list_dom, _ = render(host_page(view, listed, click_cancel=False), "active", tmp_path)
        [cancel] = [m for m in asked_of(dom) if m["method"] == "tools/call"]
        cancelled = await call(client, cancel["params"]["name"], **cancel["params"]["arguments"])

    card = job_card(dom, job_id)
    shown = status.structured_content["data"]  # type: ignore[index]
    assert shown["state"] in ("queued", "running", "waiting")
    assert f'data-state="{shown["state"]}"' in card and "k8s.create_cluster" in card
    assert f"phase: {shown['progress']['phase']}" in card and "elapsed: " in card
    assert 'class="fill ' in card and "Cancelling…" in card  # clicked: waiting for the host
    assert "<li><time>" in card  # recent events
    assert cancel["params"] == {"name": "cancel_job", "arguments": {"job_id": job_id}}
    assert cancelled["status"] == "success" and cancelled["data"]["state"] in (
        "cancelled",
        "running",
    ), cancelled
    assert shot.exists()
    # The same view lists the active jobs, each with its own cancel button.
    assert "Active Scaleway jobs" in list_dom
    assert ">Cancel</button>" in job_card(list_dom, job_id)


async def test_failed_job_shows_its_error_and_no_cancel_button(
    settings: Settings, sandbox: SandboxServer, tmp_path: Path
) -> None:
    async with connected(settings, sandbox.api_url, "legacy") as (client, _):
        view = (await client.read_resource(VIEW_URI)).contents[0].text  # type: ignore[union-attr]
        started = await call(
            client, "create_cluster", name="broken", node_type="DEV1-M", tags=["sandbox:fail=error"]
        )
        job_id = started["job"]["id"]
        status = await client.call_tool("get_job_status", {"job_id": job_id, "wait_s": 30})
        dom, _ = render(host_page(view, status, click_cancel=False), "failed", tmp_path)

    shown = status.structured_content["data"]  # type: ignore[index]
    assert shown["state"] == "failed", shown
    card = job_card(dom, job_id)
    assert 'data-state="failed"' in card and 'class="fill failed"' in card
    assert html.escape(shown["last_error"][:40], quote=False) in card
    assert "button" not in card
    assert asked_of(dom) == [] or all(m["method"] != "tools/call" for m in asked_of(dom))
