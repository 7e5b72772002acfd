"""The standalone CLI (a real subprocess) and the pure pieces: lifecycle, fault rules, checker."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from scaleway.k8s.v1 import Cluster
from scaleway.k8s.v1.marshalling import unmarshal_Cluster

from sandbox import cli
from sandbox.faults import FaultInjector, parse_rules
from sandbox.lifecycle import GONE, plan, status_at, with_failure
from sandbox.server import SandboxServer

from .conftest import ZERO, missing_fields

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_python_m_sandbox_serves_until_sigterm() -> None:
    port, s3_port = free_port(), free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            str(port),
            "--s3-port",
            str(s3_port),
            "--speed",
            "1000",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert time.monotonic() < deadline, "sandbox did not start"
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                r = httpx.get(
                    f"http://127.0.0.1:{port}/vpc/v2/regions/fr-par/vpcs",
                    params={"project_id": ZERO},
                    headers={"X-Auth-Token": ZERO},
                )
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert r.status_code == 200 and r.headers["x-scaleway-sandbox"] == "true"
        assert r.json()["vpcs"][0]["is_default"] is True
        s3 = httpx.get(f"http://127.0.0.1:{s3_port}/")
        assert s3.status_code in (200, 403)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert f"export SCW_API_URL=http://127.0.0.1:{port}" in err
    assert f"export SCW_S3_ENDPOINT_URL=http://127.0.0.1:{s3_port}" in err
    assert "NOT the Scaleway cloud" in err
    assert out == ""  # nothing on stdout


def test_cli_arguments_and_defaults() -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args([])
    assert (args.speed, args.seed, args.host) == (10.0, 0, "127.0.0.1")
    args = parser.parse_args(["--port", "0", "--s3-port", "9", "--speed", "2.5", "--seed", "4"])
    assert (args.port, args.s3_port, args.speed, args.seed) == (0, 9, 2.5, 4)


def test_timeline_scales_with_speed() -> None:
    timeline = plan(100.0, [("creating", 90.0), ("ready", None)], speed=10.0)
    assert timeline == [(100.0, "creating"), (109.0, "ready")]
    assert status_at(timeline, 108.99) == "creating"
    assert status_at(timeline, 109.0) == "ready"
    deleting = plan(0.0, [("deleting", 75.0), (GONE, None)], speed=1.0)
    assert status_at(deleting, 80) == GONE


def test_fail_tag_replaces_final_status_only() -> None:
    phases = [("provisioning", 45.0), ("initializing", 152.0), ("ready", None)]
    assert with_failure(phases, ["job:1", "sandbox:fail=error"])[-1] == ("error", None)
    assert with_failure(phases, ["job:1"]) == phases


def test_fault_rules_match_routes_and_stop_after_times() -> None:
    faults = FaultInjector(seed=1)
    faults.add("POST /k8s/v1/regions/{region}/clusters", "500", times=2)
    key = "POST /k8s/v1/regions/{region}/clusters"
    assert faults.draw("GET /k8s/v1/regions/{region}/clusters", "GET", "/k8s/v1/x") == []
    fired = [bool(faults.draw(key, "POST", "/k8s/v1/regions/fr-par/clusters")) for _ in range(4)]
    assert fired == [True, True, False, False]
    faults.add("DELETE /instance/", "drop")
    assert (
        faults.draw(
            "DELETE /instance/v1/zones/{zone}/servers/{server_id}",
            "DELETE",
            "/instance/v1/zones/fr-par-1/servers/x",
        )[0].kind.value
        == "drop"
    )


def test_strict_checker_reports_missing_required_fields() -> None:
    raw = {"id": "x", "name": "n", "status": "ready"}
    cluster = unmarshal_Cluster(raw)
    assert isinstance(cluster, Cluster)
    problems = missing_fields(cluster, raw)
    assert ".version" in problems and ".cluster_url" in problems
    assert ".private_network_id" not in problems  # Optional in the SDK


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not json", "not valid JSON"),
        ('{"route": "*"}', "JSON list"),
        ('[{"route": "*", "kind": "meteor"}]', "commit_then_drop"),
        ('[{"kind": "503"}]', "'route'"),
        ('[{"route": "*", "kind": "503", "rate": 2}]', "'rate'"),
        ('[{"route": "*", "kind": "503", "target": "dns"}]', "'target'"),
        ('[{"route": "*", "kind": "503", "colour": "red"}]', "unknown field"),
    ],
)
def test_fault_rules_text_is_checked(text: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        parse_rules(text)


def test_fault_rules_go_to_the_api_or_the_s3_server() -> None:
    rules = parse_rules(
        '[{"route": "POST /instance/v1/zones/{zone}/servers", "kind": "commit_then_drop",'
        ' "times": 1}, {"route": "PUT /{bucket}/{key}", "kind": "503", "target": "s3",'
        ' "rate": 0.2}]'
    )
    sb = SandboxServer(with_s3=True)
    sb.add_faults(rules)
    assert sb.s3 is not None
    assert [(r["kind"], r["times"]) for r in sb.state.faults.rules()] == [("commit_then_drop", 1)]
    assert [(r["route"], r["rate"]) for r in sb.s3.faults.rules()] == [("PUT /{bucket}/{key}", 0.2)]


def _run_standalone(*flags: str) -> list[str]:
    """Start ``python -m sandbox`` with flags, create a network, list them, stop it."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(port), "--no-s3", *flags],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/vpc/v2/regions/fr-par/private-networks"
    headers = {"X-Auth-Token": ZERO}
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "sandbox did not start"
            try:
                before = httpx.get(base, headers=headers).json()["private_networks"]
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        httpx.post(base, headers=headers, json={"name": f"net-{len(before)}"})
        return [n["name"] for n in before]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def test_standalone_state_file_keeps_the_cloud_until_reset(tmp_path: Path) -> None:
    state = str(tmp_path / "cloud.db")
    assert _run_standalone("--state", state) == []
    assert _run_standalone("--state", state) == ["net-0"]
    assert _run_standalone("--state", state, "--reset") == []
