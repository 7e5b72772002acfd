"""The reliability suite's trials, sized by their callers: the short run in tests/, the long one
in ``scripts/reliability.py``.

- ``kill_storm``: jobs of every product's create and delete run in ``serve`` processes that are
  SIGKILLed at random moments; afterwards no job is lost, stuck, duplicated or unreported.
- ``fault_mix``: 429s, 5xx and dropped connections on every route; every job still succeeds.
- ``canaries``: a secret key, a database password and a kubeconfig token go through the
  product; none appears in a log line, job row, event, tool output or file outside secrets.
- ``shared_store``: several processes on one job store; no step is ever executed twice.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from jobs.database import create_database, sqlite_url
from jobs.migrate import upgrade_database
from jobs.models import Job
from jobs.store import JobStore
from mcp_front.config import Settings, load_settings
from mcp_front.runtime import open_runtime
from mcp_front.server import build_server
from sandbox.server import SandboxServer
from tests.conftest import FAKE_ENV
from tests.e2e.stdio_support import REPO_ROOT, serve_command, serve_env

SPEED = 200.0
# Resource kinds the sandbox stores, with the job tag on them, per create operation.
TAGGED_KINDS = ("server", "private_network", "cluster", "rdb_instance", "lb")


@dataclass
class Tally:
    """Counts of one trial, printed as table rows."""

    rows: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, name: str, value: int = 1) -> None:
        """Add ``value`` to the row ``name``."""
        self.rows[name] = self.rows.get(name, 0) + value


def product_env(sandbox: SandboxServer, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a product (in-process or ``serve``) over ``sandbox``."""
    return serve_env(
        data_dir,
        SCW_API_URL=sandbox.api_url,
        SCW_S3_ENDPOINT_URL=sandbox.s3_url,
        SCW_MCP_POLL_SCALE=str(1 / SPEED),
        SCW_MCP_SANDBOX_SPEED=str(SPEED),
        SCW_MCP_TOOL_GROUPS="default,lb",
        **extra,
    )


@asynccontextmanager
async def front(env: dict[str, str], *, workers: bool) -> AsyncIterator[tuple[Client, Any]]:
    """An in-process MCP client on the product configured by ``env``."""
    settings: Settings = load_settings(env)
    async with (
        open_runtime(settings, run_workers=workers) as runtime,
        Client(build_server(runtime)) as client,
    ):
        yield client, runtime


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    """The envelope of one tool call."""
    result = await client.call_tool(tool, args)
    assert result.structured_content is not None
    return dict(result.structured_content)


def creates(i: int) -> list[tuple[str, dict[str, Any]]]:
    """One create of every product, named by ``i``."""
    return [
        ("create_instance", {"name": f"web-{i}", "commercial_type": "DEV1-S"}),
        ("create_private_network", {"name": f"back-{i}"}),
        ("create_cluster", {"name": f"k8s-{i}", "node_type": "DEV1-M", "pool_size": 1}),
        ("create_database", {"name": f"db-{i}"}),
        ("create_registry_namespace", {"name": f"team-{i}-images"}),
        ("create_load_balancer", {"name": f"front-{i}"}),
        ("create_bucket", {"name": f"bucket-{i}-data"}),
    ]


def deletes(created: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The delete of what a succeeded create made (by the tool that created it)."""
    tool, result = created["tool"], created["result"]
    if tool == "create_instance":
        return [("delete_instance", {"server_id": result["id"]})]
    if tool == "create_private_network":
        return [("delete_private_network", {"private_network_id": result["id"]})]
    if tool == "create_cluster":
        return [("delete_cluster", {"cluster_id": result["id"], "with_additional_resources": True})]
    if tool == "create_database":
        return [("delete_database", {"instance_id": result["id"]})]
    if tool == "create_registry_namespace":
        return [("delete_registry_namespace", {"namespace_id": result["id"]})]
    if tool == "create_load_balancer":
        return [("delete_load_balancer", {"lb_id": result["id"]})]
    if tool == "create_bucket":
        return [("delete_bucket", {"name": result["bucket"]})]
    return []


async def confirmed(client: Client, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """The calls with ``confirm: true`` where a tool asks for it (destructive ones)."""
    asks = {
        t.name
        for t in (await client.list_tools()).tools
        if "confirm" in t.input_schema.get("properties", {})
    }
    return [(tool, {**args, "confirm": True} if tool in asks else args) for tool, args in calls]


async def enqueue(
    client: Client, calls: list[tuple[str, dict[str, Any]]], tally: Tally
) -> dict[str, str]:
    """Start every call's job (the wait budget is 0); job id -> the tool that made it."""
    jobs = {}
    for tool, args in await confirmed(client, calls):
        body = await call(client, tool, **args)
        if body["status"] != "success" or "job" not in body:
            tally.problems.append(f"{tool} refused: {str(body)[:200]}")
            continue
        jobs[body["job"]["id"]] = tool
    return jobs


class Killer:
    """Runs ``serve`` processes over one job store and SIGKILLs them at random moments once
    their workers run (a kill during start-up would test nothing)."""

    def __init__(self, env: dict[str, str], data_dir: Path, rng: random.Random) -> None:
        self.env, self.data_dir, self.rng = env, data_dir, rng
        self.kills = 0
        self.log = data_dir / f"serve-{id(self)}.stderr"

    async def storm(self, kills: int, done: Any) -> None:
        """Start, wait until it works, then 0.2-3 s, SIGKILL; until ``kills`` or ``done()``."""
        stop_at = self.kills + kills
        while self.kills < stop_at and not await done():
            process = self._start()
            await self._working(process)
            await anyio.sleep(self.rng.uniform(0.2, 3.0))
            process.send_signal(signal.SIGKILL)
            process.wait()
            self.kills += 1

    async def drain(self, done: Any, timeout_s: float) -> bool:
        """One ``serve`` left alone until ``done()`` (True) or the timeout (False)."""
        process = self._start()
        try:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                if await done():
                    return True
                await anyio.sleep(0.5)
            return False
        finally:
            stop(process)

    async def _working(self, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
        """Until the process says its worker pool started (or the timeout)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and process.poll() is None:
            if self._started_pools() > self._before:
                return
            await anyio.sleep(0.05)

    def _started_pools(self) -> int:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text.count(" started with ")

    def _start(self) -> subprocess.Popen[bytes]:
        self._before = self._started_pools()
        return subprocess.Popen(
            serve_command(),
            env=self.env,
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a stdio server the way its client does: close its stdin (SIGKILL after 30 s)."""
    assert process.stdin is not None
    process.stdin.close()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def stored(data_dir: Path, ids: list[str]) -> dict[str, Job | None]:
    """The job rows as they are now (None: lost)."""
    db = create_database(sqlite_url(data_dir / "jobs.db"))
    try:
        await upgrade_database(db)
        store = JobStore(db)
        rows: dict[str, Job | None] = {}
        for job_id in ids:
            try:
                rows[job_id] = await store.get(job_id)
            except Exception:
                rows[job_id] = None
        return rows
    finally:
        await db.close()


async def kill_storm(
    work: Path, *, kills: int, rounds: int, seed: int = 0, killers: int = 1
) -> Tally:
    """Every product's creates, then the deletes of what they made, round after round, while
    ``killers`` serve processes are SIGKILLed at random moments, until ``kills`` kills."""
    tally, rng = Tally(), random.Random(seed)
    with SandboxServer(speed=SPEED, seed=seed) as sandbox:
        env = product_env(sandbox, work, SCW_MCP_LEASE_S="2", SCW_MCP_WAIT_BUDGET_S="0")
        pool = [Killer(env, work, random.Random(rng.random())) for _ in range(killers)]
        every: dict[str, str] = {}
        batch = 0
        while sum(k.kills for k in pool) < kills:
            async with front(env, workers=False) as (client, _):
                calls = [c for i in range(rounds) for c in creates(batch * rounds + i)]
                jobs = await enqueue(client, calls, tally)
            budget = max(1, (kills - sum(k.kills for k in pool)) // 2)
            await _run_phase(pool, work, jobs, budget, tally)
            rows = await stored(work, list(jobs))
            made = [
                {"tool": jobs[i], "result": j.result}
                for i, j in rows.items()
                if j is not None and j.state.value == "succeeded"
            ]
            every.update(jobs)
            async with front(env, workers=False) as (client, _):
                jobs = await enqueue(client, [d for m in made for d in deletes(m)], tally)
            budget = max(1, kills - sum(k.kills for k in pool))
            await _run_phase(pool, work, jobs, budget, tally)
            every.update(jobs)
            batch += 1
        tally.add("SIGKILLs", sum(k.kills for k in pool))
        await _check_jobs(work, every, sandbox, tally)
    return tally


async def _run_phase(
    pool: list[Killer], work: Path, jobs: dict[str, str], kills: int, tally: Tally
) -> None:
    async def all_final() -> bool:
        rows = await stored(work, list(jobs))
        return all(j is not None and j.state.is_terminal for j in rows.values())

    share = -(-kills // len(pool))
    async with anyio.create_task_group() as group:
        for killer in pool:
            group.start_soon(killer.storm, share, all_final)
    if not await pool[0].drain(all_final, timeout_s=180):
        tally.problems.append("jobs still unfinished after the drain")


async def _check_jobs(
    work: Path, jobs: dict[str, str], sandbox: SandboxServer, tally: Tally
) -> None:
    rows = await stored(work, list(jobs))
    tally.add("jobs", len(rows))
    for job_id, job in rows.items():
        if job is None:
            tally.add("lost jobs")
            continue
        if not job.state.is_terminal:
            tally.add("stuck jobs")
        elif job.state.value != "succeeded":
            # Killed mid-step max_attempts times: a crash loop fails the job, by design.
            crashed = "its worker stopped" in (job.error or "")
            tally.add("jobs failed by repeated kills" if crashed else "failed jobs")
            if not crashed:
                tally.problems.append(f"{jobs[job_id]} {job.state.value}: {job.error}")
        said = json.dumps(job.result, default=str)
        for kind in TAGGED_KINDS:
            tagged = [r for r in sandbox.state.all(kind) if f"job:{job_id}" in r.tags]
            if len(tagged) > 1:
                tally.add("duplicate resources", len(tagged) - 1)
            tally.add("unreported resources", sum(r.id not in said for r in tagged))
    for name in (
        "lost jobs",
        "stuck jobs",
        "duplicate resources",
        "unreported resources",
        "failed jobs",
    ):
        tally.add(name, 0)


FAULTS = (("429", 0.2), ("503", 0.05), ("500", 0.05), ("drop", 0.05))


async def fault_mix(work: Path, *, rounds: int, seed: int = 0) -> Tally:
    """Every product's creates and deletes with 20% 429, 10% 5xx, 5% drops on every route
    (API and S3); every job must succeed."""
    tally = Tally()
    with SandboxServer(speed=SPEED, seed=seed) as sandbox:
        env = product_env(sandbox, work, SCW_MCP_WAIT_BUDGET_S="120")
        for kind, rate in FAULTS:
            sandbox.state.faults.add("*", kind, rate)
            assert sandbox.s3 is not None
            sandbox.s3.faults.add("*", kind, rate)
        async with front(env, workers=True) as (client, runtime):
            results: list[dict[str, Any]] = []

            async def run(tool: str, args: dict[str, Any]) -> None:
                body = await call(client, tool, **args)
                results.append({"tool": tool, "body": body})

            async with anyio.create_task_group() as group:
                for tool, args in [c for i in range(rounds) for c in creates(i)]:
                    group.start_soon(run, tool, args)
            made = [
                {"tool": r["tool"], "result": r["body"]["data"]}
                for r in results
                if r["body"]["status"] == "success"
            ]
            async with anyio.create_task_group() as group:
                for tool, args in await confirmed(client, [d for m in made for d in deletes(m)]):
                    group.start_soon(run, tool, args)
            counts = await runtime.store.count_by_state()
        tally.add("jobs", sum(counts.values()))
        for r in results:
            body = r["body"]
            if body["status"] == "success":
                continue
            # A failed job answers with it in details; else the tool's own reads gave up.
            row = (
                "failed jobs"
                if "job" in (body.get("details") or {})
                else "calls failed before a job"
            )
            tally.add(row)
            tally.problems.append(f"{r['tool']}: {body.get('message', '')[:200]}")
        tally.add("failed jobs", 0)
        tally.add("calls failed before a job", 0)
        assert sandbox.s3 is not None
        rules = sandbox.state.faults.rules() + sandbox.s3.faults.rules()
        tally.add("faults injected", sum(int(r["fired"]) for r in rules))
    return tally


def _stored_text(folder: Path, skip: Path) -> list[tuple[Path, bytes]]:
    """Every file under ``folder`` except those under ``skip``, with its bytes."""
    return [(p, p.read_bytes()) for p in folder.rglob("*") if p.is_file() and skip not in p.parents]


async def canaries(work: Path, records: list[logging.LogRecord]) -> Tally:
    """Secrets through the product, then searched for everywhere but the secrets folder."""
    tally = Tally()
    secret_key = str(uuid.uuid4())  # a fresh canary each run, never a committed value
    password = "Canary-Pa55word-9f3e!"
    with SandboxServer(speed=1000) as sandbox:
        env = product_env(sandbox, work, SCW_SECRET_KEY=secret_key, SCW_MCP_WAIT_BUDGET_S="60")
        env["SCW_MCP_POLL_SCALE"] = "0.001"
        outputs: list[str] = []
        async with front(env, workers=True) as (client, runtime):
            for tool, args in (
                ("create_database", {"name": "orders", "password": password}),
                ("create_cluster", {"name": "prod", "node_type": "DEV1-M", "pool_size": 1}),
                ("list_databases", {}),
            ):
                outputs.append(json.dumps(answer := await call(client, tool, **args)))
                if answer["status"] != "success":
                    tally.problems.append(f"{tool}: {answer.get('message')}")
            cluster_id = json.loads(outputs[1])["data"]["id"]
            token = "sandbox-" + cluster_id.replace("-", "")
            for tool, args in (
                ("get_cluster_kubeconfig", {"cluster_id": cluster_id}),
                ("list_jobs", {}),
                ("get_job_status", {"job_id": json.loads(outputs[0])["job"]["id"]}),
            ):
                outputs.append(json.dumps(await call(client, tool, **args)))
            secrets_dir = runtime.settings.secrets_dir
        files = _stored_text(work, secrets_dir)
        lines = [r.getMessage() for r in records]
        for name, canary in (("secret key", secret_key), ("password", password), ("token", token)):
            hits = sum(canary in line for line in lines)
            hits += sum(canary in text for text in outputs)
            hits += sum(canary.encode() in data for _, data in files)
            tally.add(f"{name} canary hits", hits)
            if hits:
                where = [str(p) for p, data in files if canary.encode() in data]
                tally.problems.append(f"{name} found in {where or 'logs or tool output'}")
        tally.add("files searched", len(files))
        tally.add("log lines searched", len(records))
    return tally


async def shared_store(work: Path, *, processes: int, jobs: int) -> Tally:
    """``processes`` serve processes on one SQLite store run ``jobs`` test jobs: each step's
    side effect must happen exactly once."""
    tally = Tally()
    log = work / "effects.log"
    env = {**serve_env(work), **FAKE_ENV, "SCW_MCP_LEASE_S": "5"}
    db = create_database(sqlite_url(work / "jobs.db"))
    try:
        await upgrade_database(db)
        store = JobStore(db)
        ids = [
            (await store.enqueue("test.count", {"log_path": str(log), "polls": 3, "poll_s": 0.02}))[
                0
            ].id
            for _ in range(jobs)
        ]
    finally:
        await db.close()
    started = [Killer(env, work, random.Random(0))._start() for _ in range(processes)]
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            rows = await stored(work, ids)
            if all(j is not None and j.state.is_terminal for j in rows.values()):
                break
            await anyio.sleep(0.5)
    finally:
        for process in started:
            stop(process)
    lines = log.read_text().splitlines() if log.exists() else []
    rows = await stored(work, ids)
    tally.add("processes", processes)
    tally.add("jobs", jobs)
    tally.add(
        "succeeded", sum(j is not None and j.state.value == "succeeded" for j in rows.values())
    )
    tally.add("double executions", len(lines) - len(set(lines)))
    return tally


def environment_note() -> str:
    """Where the run happened, for the table."""
    return f"{os.cpu_count()} CPUs"
