"""Hostile arguments for every tool, through a real MCP client; every answer must be an envelope.

    uv run python -m bench.fuzz [--calls 10000] [--seed 0]

Arguments are built from each tool's advertised input schema, then spoiled: wrong types,
missing and unknown fields, 100 kB strings, unicode, NUL and control characters, negative,
huge and NaN numbers, path traversal. Each answer must be a well-formed envelope (structured
content equal to its JSON text, ``isError`` matching the status), with no traceback and no
"internal error", and no job may exist that no answer named (an invalid call leaves none). The
server runs no workers and answers mutations at once (wait budget 0), so a valid mutation
costs one queued row. The calls are generated first, then made a few at a time.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from mcp import Client
from mcp.types import CallToolResult, Tool

from bench.common import ZERO_UUID, print_table, write_results

BIG = "A" * 100_000
BIG_UNICODE = "é😀\u202e" * 20_000
TRAVERSALS = (
    "../../../../etc/passwd",
    "/etc/shadow",
    "~/.ssh/id_ed25519",
    "~root/.bashrc",
    "/proc/self/environ",
    "/dev/zero",
    "/tmp/../etc/hosts",
    "..",
    "/",
    "C:\\Windows\\win.ini",
    "file:///etc/passwd",
    "/tmp/a\x00b",
)
NASTY_TEXT = (
    "",
    " ",
    "\n",
    "a\r\nX-Injected: 1",
    "\x00",
    "\x7f",
    "\u202e",
    "🙂",
    "' OR 1=1 --",
    "${jndi:ldap://127.0.0.1/a}",
    "{{7*7}}",
    "%s%s%n",
    "00000000-0000-0000-0000-000000000000",
    "11111111-2222-3333-4444-55555555555g",
    "job:00000000-0000-0000-0000-000000000000",
    "fr-par",
    "mars-1",
    BIG,
    BIG_UNICODE,
)
NUMBERS = (0, -1, 1, 2**31, 2**63, -(2**63), 10**30, 0.5, -0.0, 1e308)
FLOATS_ODD = (math.nan, math.inf, -math.inf)
BATCH = 25


def hostile_scalars() -> st.SearchStrategy[Any]:
    """Values of every JSON type, weighted toward the ones that break parsers."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(NUMBERS),
        st.sampled_from(FLOATS_ODD),
        st.integers(),
        st.floats(),
        st.sampled_from(NASTY_TEXT),
        st.sampled_from(TRAVERSALS),
        st.text(max_size=40),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
        st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
    )


def hostile_values() -> st.SearchStrategy[Any]:
    """Scalars, and small lists and objects of them."""
    return st.recursive(
        hostile_scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=6,
    )


def plausible(name: str, prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value that is likely valid for a schema property, so that calls get past the first
    check and the deeper ones are fuzzed too."""
    kinds = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"] or [prop]
    schema = kinds[0]
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum", -5))
        high = schema.get("maximum", low + 100)
        return st.integers(low - 1, high + 1)
    if kind == "number":
        return st.floats(schema.get("minimum", -1.0), schema.get("maximum", 100.0))
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        item = plausible(name, schema.get("items", {}))
        return st.lists(item, max_size=3)
    if kind == "object":
        return st.dictionaries(st.sampled_from(["team", "env", "a b", ""]), st.text(max_size=8))
    if name.endswith("_id") or name == "job_id":
        return st.sampled_from(["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
    if name in ("path",):
        return st.sampled_from(TRAVERSALS)
    if name == "region":
        return st.sampled_from(["fr-par", "nl-ams", "pl-waw", "xx"])
    if name == "zone":
        return st.sampled_from(["fr-par-1", "nl-ams-1", "fr-par-9"])
    return st.one_of(st.from_regex(r"[a-z][a-z0-9-]{2,12}", fullmatch=True), st.text(max_size=12))


def arguments_for(tool: Tool) -> st.SearchStrategy[dict[str, Any]]:
    """Argument sets for ``tool``: plausible ones, spoiled in one or more ways."""
    props: dict[str, Any] = tool.input_schema.get("properties", {})
    required = set(tool.input_schema.get("required", []))
    base = st.fixed_dictionaries(
        {n: plausible(n, p) for n, p in props.items() if n in required},
        optional={n: plausible(n, p) for n, p in props.items() if n not in required},
    )
    names = sorted(props) or ["x"]
    values = hostile_values()
    texts = st.one_of(st.sampled_from(NASTY_TEXT), st.sampled_from(TRAVERSALS), st.text())

    @st.composite
    def spoiled(draw: st.DrawFn) -> dict[str, Any]:
        args = dict(draw(base))
        for _ in range(draw(st.integers(0, 2))):
            how = draw(st.sampled_from(["text", "text", "replace", "replace", "drop", "extra"]))
            if how == "text":  # right type, hostile content: where validation gaps hide
                args[draw(st.sampled_from(names))] = draw(texts)
            elif how == "replace":
                args[draw(st.sampled_from(names))] = draw(values)
            elif how == "drop" and args:
                args.pop(draw(st.sampled_from(sorted(args))))
            else:
                args[draw(st.text(max_size=12))] = draw(values)
        return args

    return spoiled()


@dataclass(slots=True)
class Tally:
    """What the calls produced, and every broken answer seen."""

    calls: int = 0
    by_tool: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    broken: list[str] = field(default_factory=list)
    answered_jobs: set[str] = field(default_factory=set)
    stray_jobs: int = 0
    retried_jobs: list[str] | None = None

    def rows(self) -> list[tuple[str, str]]:
        """The table's rows."""
        return [
            ("calls", str(self.calls)),
            ("tools", str(len(self.by_tool))),
            ("success answers", str(self.outcomes["success"])),
            ("error answers", str(self.outcomes["error"])),
            ("jobs from valid calls", str(len(self.answered_jobs))),
            ("jobs no answer owned (from invalid calls)", str(self.stray_jobs)),
            ("broken answers (crash, traceback, internal error)", str(len(self.broken))),
            (
                "jobs retried or internal on a fault-free sandbox",
                "not run" if self.retried_jobs is None else str(len(self.retried_jobs)),
            ),
        ]


def answer_problem(result: CallToolResult) -> str | None:
    """Why ``result`` is not a well-formed envelope of a clean answer, or None."""
    body = result.structured_content
    if not isinstance(body, dict) or body.get("status") not in ("success", "error"):
        return f"no envelope: {str(result)[:300]}"
    if result.is_error != (body["status"] == "error"):
        return f"isError {result.is_error} but status {body['status']}"
    texts = [c.text for c in result.content if getattr(c, "type", None) == "text"]
    if len(texts) != 1 or json.loads(texts[0]) != body:
        return "text content differs from the structured content"
    message = str(body.get("message", ""))
    if "internal error" in message or "Traceback" in message:
        return f"internal error: {message[:300]}"
    return None


def generate_calls(tools: list[Tool], count: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` generated (tool name, arguments) pairs spread over ``tools``.

    Each example is a batch of calls: hypothesis's cost per example, not per draw, dominates.
    """
    calls: list[tuple[str, dict[str, Any]]] = []
    one_call = st.one_of(*[st.tuples(st.just(t.name), arguments_for(t)) for t in tools])
    batch = min(BATCH, count)

    @hypothesis_seed(seed)
    @settings(
        max_examples=max(1, -(-count // batch)),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(st.lists(one_call, min_size=batch, max_size=batch))
    def collect(generated: list[tuple[str, dict[str, Any]]]) -> None:
        calls.extend(generated)

    collect()
    return calls[:count]


async def fuzz(
    client: Client,
    job_ids: Callable[[], Awaitable[set[str]]],
    calls: list[tuple[str, dict[str, Any]]],
    concurrency: int = 4,
) -> Tally:
    """Make ``calls`` through ``client``; check each answer, then that no job is unowned."""
    tally = Tally()
    before = await job_ids()
    limiter = anyio.CapacityLimiter(concurrency)

    async def one(tool: str, args: dict[str, Any]) -> None:
        async with limiter:
            try:
                result = await client.call_tool(tool, args)
            except Exception as exc:  # a protocol error instead of an envelope
                problem: str | None = f"the call raised {type(exc).__name__}: {str(exc)[:200]}"
            else:
                problem = answer_problem(result)
                body = result.structured_content or {}
                tally.outcomes[str(body.get("status"))] += 1
                # A job that failed within the answer is in details: valid, yet refused by the API.
                details = body.get("details")
                for job in (body.get("job"), details.get("job") if details else None):
                    if isinstance(job, dict) and "id" in job:
                        tally.answered_jobs.add(str(job["id"]))
        tally.calls += 1
        tally.by_tool[tool] += 1
        if problem:
            tally.broken.append(f"{tool}({_short(args)}): {problem}")

    async with anyio.create_task_group() as group:
        for tool, args in calls:
            group.start_soon(one, tool, args)
    stray = (await job_ids()) - before - tally.answered_jobs
    tally.stray_jobs = len(stray)
    return tally


def _short(args: dict[str, Any]) -> str:
    text = json.dumps(args, default=str, ensure_ascii=True)
    return text if len(text) < 300 else text[:300] + "..."


@dataclass(frozen=True, slots=True)
class Product:
    """A client on the product, and readers of its job table."""

    client: Client
    job_ids: Callable[[], Awaitable[set[str]]]
    retried_jobs: Callable[[], Awaitable[list[str]]]


@asynccontextmanager
async def product_client(data_dir: Path, *, workers: bool = False) -> AsyncIterator[Product]:
    """The product over the sandbox (mutations answer at once, workers only if asked), and an
    MCP client on it."""
    from sqlalchemy import select

    from jobs.schema import jobs_table as jobs_t
    from mcp_front.config import load_settings
    from mcp_front.runtime import open_runtime
    from mcp_front.server import build_server
    from sandbox.server import SandboxServer

    (data_dir / "home").mkdir(exist_ok=True)
    with SandboxServer(speed=1000) as sandbox:
        env = {
            "SCW_ACCESS_KEY": "SCWXXXXXXXXXXXXXXXXX",
            "SCW_SECRET_KEY": ZERO_UUID,
            "SCW_DEFAULT_PROJECT_ID": ZERO_UUID,
            "HOME": str(data_dir / "home"),
            "SCW_MCP_DATA_DIR": str(data_dir / "data"),
            "SCW_API_URL": sandbox.api_url,
            "SCW_S3_ENDPOINT_URL": sandbox.s3_url,
            "SCW_MCP_WAIT_BUDGET_S": "0",
            "SCW_MCP_SANDBOX_SPEED": "1000",
        }
        settings_ = load_settings(env, sandbox=True)
        async with (
            open_runtime(settings_, run_workers=workers) as runtime,
            Client(build_server(runtime)) as client,
        ):

            async def job_ids() -> set[str]:
                async with runtime.db.read() as conn:
                    return set((await conn.execute(select(jobs_t.c.id))).scalars())

            async def retried_jobs() -> list[str]:
                """Jobs that failed on an error the sandbox (no faults) never gives: retried,
                given up, or internal."""
                query = select(
                    jobs_t.c.operation, jobs_t.c.error, jobs_t.c.params, jobs_t.c.state
                ).where(jobs_t.c.error.is_not(None))
                async with runtime.db.read() as conn:
                    rows = (await conn.execute(query)).all()
                return [
                    f"{op} {_short(params)}: {error[:200]}"
                    for op, error, params, state in rows
                    if state != "failed" or "internal error" in error or "gave up" in error
                ]

            yield Product(client, job_ids, retried_jobs)


async def run(calls: int, seed: int, concurrency: int, jobs_s: float) -> Tally:
    """Fuzz every tool ``calls`` times in all against a fresh product and sandbox; with
    ``jobs_s``, workers run the jobs valid calls made, for that long, looking for retries."""
    with tempfile.TemporaryDirectory() as tmp:
        async with product_client(Path(tmp), workers=jobs_s > 0) as product:
            tools = (await product.client.list_tools()).tools
            generated = await anyio.to_thread.run_sync(generate_calls, tools, calls, seed)
            tally = await fuzz(product.client, product.job_ids, generated, concurrency)
            if jobs_s > 0:
                await anyio.sleep(jobs_s)
                tally.retried_jobs = await product.retried_jobs()
            return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--jobs-s", type=float, default=30.0, help="run the jobs for this long (0: not at all)"
    )
    args = parser.parse_args()
    logging.disable(logging.ERROR)  # the calls are meant to fail: their logs are noise
    started = time.perf_counter()
    tally = anyio.run(run, args.calls, args.seed, args.concurrency, args.jobs_s)
    elapsed = time.perf_counter() - started
    rows = [*tally.rows(), ("seconds", f"{elapsed:.0f}")]
    print_table("Fuzzing every tool through the MCP client", rows)
    for line in [*tally.broken, *(tally.retried_jobs or [])][:30]:
        print(f"- {line}")
    write_results("fuzz", {"rows": dict(rows), "broken": tally.broken[:200]})


if __name__ == "__main__":
    main()
