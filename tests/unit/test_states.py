"""The job state machine: which changes are allowed, which are final, what errors say."""

from __future__ import annotations

import itertools

import pytest

from jobs.errors import InvalidTransition, JobError
from jobs.states import (
    CLAIMABLE_STATES,
    TERMINAL_STATES,
    JobState,
    can_transition,
    check_transition,
)

S = JobState

ALLOWED = {
    (S.QUEUED, S.RUNNING),
    (S.QUEUED, S.CANCELLED),
    (S.RUNNING, S.RUNNING),  # re-claim after an expired lease
    (S.RUNNING, S.WAITING),
    (S.RUNNING, S.QUEUED),  # released at shutdown
    (S.RUNNING, S.SUCCEEDED),
    (S.RUNNING, S.FAILED),
    (S.RUNNING, S.CANCELLED),
    (S.WAITING, S.RUNNING),
    (S.WAITING, S.CANCELLED),
}
EVERY_PAIR = list(itertools.product(JobState, JobState))


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_allowed_transition_passes_the_check(source: JobState, target: JobState) -> None:
    assert can_transition(source, target)
    check_transition(source, target)  # does not raise


@pytest.mark.parametrize(("source", "target"), [pair for pair in EVERY_PAIR if pair not in ALLOWED])
def test_every_other_transition_is_refused(source: JobState, target: JobState) -> None:
    assert not can_transition(source, target)
    with pytest.raises(InvalidTransition):
        check_transition(source, target)


def test_a_job_can_reach_a_terminal_state_only_through_running_or_cancel() -> None:
    for state in TERMINAL_STATES:
        sources = {source for source in JobState if can_transition(source, state)}
        expected = {S.RUNNING, S.QUEUED, S.WAITING} if state is S.CANCELLED else {S.RUNNING}
        assert sources == expected, state


def test_terminal_states_are_exactly_succeeded_failed_cancelled() -> None:
    assert {s for s in JobState if s.is_terminal} == {S.SUCCEEDED, S.FAILED, S.CANCELLED}
    assert TERMINAL_STATES == {S.SUCCEEDED, S.FAILED, S.CANCELLED}


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_terminal_state_has_no_way_out(state: JobState) -> None:
    assert not any(can_transition(state, target) for target in JobState)


def test_claimable_states_are_never_terminal() -> None:
    assert CLAIMABLE_STATES == {S.QUEUED, S.WAITING, S.RUNNING}
    assert not CLAIMABLE_STATES & TERMINAL_STATES


def test_states_are_their_lowercase_names() -> None:
    assert [s.value for s in JobState] == [
        "queued",
        "running",
        "waiting",
        "succeeded",
        "failed",
        "cancelled",
    ]
    assert JobState("waiting") is S.WAITING


def test_refusal_from_a_finished_job_says_it_is_already_finished() -> None:
    with pytest.raises(InvalidTransition) as caught:
        check_transition(S.SUCCEEDED, S.CANCELLED)
    assert str(caught.value) == "job already succeeded; it cannot become cancelled"


def test_refusal_from_a_live_job_names_both_states() -> None:
    with pytest.raises(InvalidTransition) as caught:
        check_transition(S.QUEUED, S.SUCCEEDED)
    assert str(caught.value) == "a queued job cannot become succeeded"


def test_invalid_transition_is_a_job_error() -> None:
    assert issubclass(InvalidTransition, JobError)
