"""At DEBUG, through a whole job, the stdio server writes nothing but JSON-RPC to stdout."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import anyio

from jobs.database import create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.store import JobStore
from tests.e2e.stdio_support import REPO_ROOT, serve_command, serve_env


def _rpc(id_: int | None, method: str, params: dict[str, object]) -> bytes:
    message: dict[str, object] = {"jsonrpc": "2.0", "method": method, "params": params}
    if id_ is not None:
        message["id"] = id_
    return (json.dumps(message) + "\n").encode()


async def _enqueue_one(tmp_path: Path) -> str:
    db = create_database(sqlite_url(tmp_path / "jobs.db"))
    await upgrade_database(db)
    job, _ = await JobStore(db).enqueue(
        "test.count", {"log_path": str(tmp_path / "log"), "polls": 3, "poll_s": 0.05}
    )
    await db.close()
    return job.id


def test_stdout_carries_only_json_rpc_at_debug_level(tmp_path: Path) -> None:
    job_id = anyio.run(_enqueue_one, tmp_path)

    requests = b"".join(
        [
            _rpc(
                1,
                "initialize",
                {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "raw-test", "version": "0"},
                },
            ),
            _rpc(None, "notifications/initialized", {}),
            _rpc(2, "tools/list", {}),
            _rpc(
                3,
                "tools/call",
                {
                    "name": "get_job_status",
                    "arguments": {"job_id": job_id, "wait_s": 20},
                    "_meta": {"progressToken": "p1"},
                },
            ),
        ]
    )
    process = subprocess.Popen(
        [*serve_command(), "--log-level", "DEBUG"],
        env=serve_env(tmp_path),
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(requests)
    process.stdin.flush()
    # Read until the tools/call answer, then close stdin: the server must exit by itself.
    lines: list[bytes] = []
    while True:
        line = process.stdout.readline()
        assert line, "stdout closed before the tools/call answer"
        lines.append(line)
        if json.loads(line).get("id") == 3:
            break

    rest, stderr = process.communicate(timeout=30)
    lines += rest.splitlines(keepends=True)

    messages = [json.loads(line) for line in lines if line.strip()]
    assert all(m.get("jsonrpc") == "2.0" for m in messages)
    answer = next(m for m in messages if m.get("id") == 3)
    payload = json.loads(answer["result"]["content"][0]["text"])
    assert payload["data"]["state"] == "succeeded"
    assert any(m.get("method") == "notifications/progress" for m in messages)
    assert process.returncode == 0
    text = stderr.decode()
    assert " DEBUG " in text and "succeeded" in text
    assert "00000000-0000-0000-0000-000000000000" not in text  # the secret key
