"""Redaction: secrets kept out of what users, logs and job rows see."""

from __future__ import annotations

import copy

import pytest

from workers.redact import REDACTED, redact_json, sanitize_message

FAKE_SECRET = "00000000-0000-0000-0000-00000000beef"


@pytest.mark.parametrize("key", ["password", "secret_key", "token", "kubeconfig"])
def test_redact_json_hides_secret_keys_at_the_top(key: str) -> None:
    assert redact_json({key: "s3cr3t-value", "name": "db-1"}) == {key: REDACTED, "name": "db-1"}


def test_redact_json_hides_secret_keys_at_any_depth() -> None:
    value = {
        "cluster": {
            "name": "k-1",
            "kubeconfig": "apiVersion: v1\nusers: [...]",
            "nodes": [{"id": "n-1", "token": "bootstrap-token"}, {"id": "n-2"}],
        },
        "users": [[{"name": "admin", "password": "hunter2-long"}]],
        "secret_key": {"nested": "whole value hidden"},
    }
    original = copy.deepcopy(value)

    redacted = redact_json(value)

    assert redacted == {
        "cluster": {
            "name": "k-1",
            "kubeconfig": REDACTED,
            "nodes": [{"id": "n-1", "token": REDACTED}, {"id": "n-2"}],
        },
        "users": [[{"name": "admin", "password": REDACTED}]],
        "secret_key": REDACTED,
    }
    assert value == original  # the input is not changed


@pytest.mark.parametrize("key", ["Password", "SECRET_KEY", "X-Auth-Token", "Token"])
def test_redact_json_matches_key_names_whatever_their_case(key: str) -> None:
    assert redact_json({key: "value-123"}) == {key: REDACTED}


def test_redact_json_leaves_ordinary_values_and_scalars_alone() -> None:
    value = {"id": "srv-1", "state": "running", "tags": ["a", "b"], "size": 3, "ok": True}
    assert redact_json(value) == value
    assert redact_json("password") == "password"
    assert redact_json([1, None, "x"]) == [1, None, "x"]


def test_redact_json_shows_an_absent_secret_as_absent() -> None:
    assert redact_json({"password": None, "token": ""}) == {"password": None, "token": ""}


def test_sanitize_message_removes_given_secrets_everywhere() -> None:
    message = f"auth failed for {FAKE_SECRET}; retried with {FAKE_SECRET}"
    assert sanitize_message(message, [FAKE_SECRET]) == (
        f"auth failed for {REDACTED}; retried with {REDACTED}"
    )


def test_sanitize_message_removes_every_one_of_several_secrets() -> None:
    other = "tok_0123456789abcdef"
    text = sanitize_message(f"a={FAKE_SECRET} b={other}", (FAKE_SECRET, other))
    assert FAKE_SECRET not in text and other not in text
    assert text == f"a={REDACTED} b={REDACTED}"


def test_sanitize_message_ignores_empty_secrets() -> None:
    assert sanitize_message("nothing to hide", ["", FAKE_SECRET]) == "nothing to hide"


@pytest.mark.parametrize(
    "message",
    [
        "request failed: X-Auth-Token: 11111111-2222-3333-4444-555555555555",
        "headers={'X-Auth-Token': '11111111-2222-3333-4444-555555555555', 'Accept': '*/*'}",
        'headers {"x-auth-token": "11111111-2222-3333-4444-555555555555"}',
        "curl -H x-auth-token=11111111-2222-3333-4444-555555555555 https://api",
    ],
)
def test_sanitize_message_hides_auth_token_header_values_it_was_not_told_about(
    message: str,
) -> None:
    text = sanitize_message(message)
    assert "11111111-2222-3333-4444-555555555555" not in text
    assert REDACTED in text


def test_sanitize_message_keeps_the_rest_of_a_header_dump() -> None:
    text = sanitize_message("{'X-Auth-Token': 'abcdef123456', 'Accept': 'application/json'}")
    assert "'Accept': 'application/json'" in text


def test_sanitize_message_makes_one_line() -> None:
    assert sanitize_message("first line\n  second\tline\r\n") == "first line second line"


def test_sanitize_message_bounds_its_length() -> None:
    text = sanitize_message("error " * 10_000)
    assert len(text) <= 500
    assert text.startswith("error error")
    assert text.endswith("…")


def test_sanitize_message_keeps_short_messages_whole() -> None:
    message = "x" * 500
    assert sanitize_message(message) == message


def test_sanitize_message_does_not_leak_a_secret_cut_by_the_length_bound() -> None:
    text = sanitize_message("x" * 480 + FAKE_SECRET + " tail", [FAKE_SECRET])
    for start in range(len(FAKE_SECRET) - 8):
        assert FAKE_SECRET[start : start + 8] not in text
