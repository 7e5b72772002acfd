"""A job as a task on each protocol generation: status, lifetime and poll interval."""

from __future__ import annotations

from dataclasses import replace

import pytest

from jobs.models import Job, Progress
from jobs.states import JobState
from mcp_front import envelope
from mcp_front.task_view import (
    ACTIVE_POLL_MS,
    CHECK_MARGIN_MS,
    Era,
    detailed_task,
    poll_interval_ms,
    task_fields,
    task_status,
    task_ttl_s,
)

JOB = Job(
    id="7d3c1a5e-0000-4000-8000-000000000001",
    operation="k8s.create_cluster",
    params={},
    state=JobState.WAITING,
    attempts=1,
    max_attempts=5,
    run_after_at=115.0,
    lease_owner=None,
    lease_expires_at=None,
    checkpoint={"cluster_id": "c-1"},
    progress=Progress(phase="cluster", message="cluster creating (12s)"),
    result=None,
    error=None,
    cancel_requested=False,
    idempotency_key=None,
    created_at=100.0,
    updated_at=101.0,
    started_at=100.0,
    finished_at=None,
)


@pytest.mark.parametrize(
    ("state", "core", "extension"),
    [
        (JobState.QUEUED, "working", "working"),
        (JobState.RUNNING, "working", "working"),
        (JobState.WAITING, "working", "working"),
        (JobState.SUCCEEDED, "completed", "completed"),
        (JobState.FAILED, "failed", "completed"),
        (JobState.CANCELLED, "cancelled", "cancelled"),
    ],
)
def test_status_per_generation(state: JobState, core: str, extension: str) -> None:
    job = replace(JOB, state=state)
    assert task_status(job, Era.CORE_2025) == core
    assert task_status(job, Era.EXTENSION_2026) == extension


def test_lifetime_defaults_to_a_day_within_an_hour_and_a_week_and_covers_the_deadline() -> None:
    assert task_ttl_s(None, 3600) == 24 * 3600
    assert task_ttl_s(60_000, 600) == 3600
    assert task_ttl_s(30 * 24 * 3600 * 1000, 600) == 7 * 24 * 3600
    assert task_ttl_s(60_000, 5 * 3600) == 5 * 3600


def test_poll_interval_follows_the_jobs_own_schedule() -> None:
    assert poll_interval_ms(JOB, now=105.0) == 10_000 + CHECK_MARGIN_MS
    assert poll_interval_ms(replace(JOB, state=JobState.RUNNING), now=105.0) == ACTIVE_POLL_MS


def test_fields_carry_each_generations_names_and_the_progress() -> None:
    core = task_fields(JOB, 105.0, 3600, Era.CORE_2025)
    modern = task_fields(JOB, 105.0, 3600, Era.EXTENSION_2026)
    assert core["ttl"] == modern["ttlMs"] == 3_600_000
    assert core["pollInterval"] == modern["pollIntervalMs"] == 10_000 + CHECK_MARGIN_MS
    assert core["statusMessage"] == "cluster creating (12s)"
    assert core["createdAt"] == "1970-01-01T00:01:40Z"


def test_a_failed_job_is_completed_with_is_error_on_the_2026_wire() -> None:
    job = replace(JOB, state=JobState.FAILED, error="quota exceeded", finished_at=110.0)
    outcome = envelope.error("k8s.create_cluster failed: quota exceeded")
    task = detailed_task(job, 120.0, 3600, outcome)
    assert task["status"] == "completed" and task["result"]["isError"] is True
    assert "pollIntervalMs" not in task


def test_a_cancelled_task_says_what_exists() -> None:
    job = replace(JOB, state=JobState.CANCELLED, result={"checkpoint": {"cluster_id": "c-1"}})
    assert "c-1" in task_fields(job, 120.0, 3600, Era.CORE_2025)["statusMessage"]
