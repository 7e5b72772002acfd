"""Which calls are the same job: every operation says so, and the key follows it."""

from __future__ import annotations

import pytest

from workers.operations import product_operations
from workers.registry import OperationRegistry

REGISTRY = OperationRegistry(product_operations())


@pytest.mark.parametrize("name", REGISTRY.names())
def test_every_operation_declares_what_makes_two_calls_equal(name: str) -> None:
    operation = type(REGISTRY.get(name))
    declared = [klass for klass in operation.__mro__ if "identity" in vars(klass)]
    assert declared[0].__name__ != "Operation", f"{name} must declare identity"
    fields = operation.identity
    if fields is not None:
        assert set(fields) <= set(operation.params_model.model_fields), name


def test_equal_identity_fields_share_a_key_and_others_do_not() -> None:
    base = {"region": "fr-par", "project_id": None, "name": "dup-1", "node_type": "DEV1-M"}
    key = REGISTRY.equality_key("k8s.create_cluster", base)
    assert REGISTRY.equality_key("k8s.create_cluster", {**base, "node_type": "GP1-S"}) == key
    assert REGISTRY.equality_key("k8s.create_cluster", {**base, "name": "dup-2"}) != key
    assert REGISTRY.equality_key("k8s.create_cluster", {**base, "region": "nl-ams"}) != key
    assert REGISTRY.equality_key("rdb.create_database", base) != key


def test_an_operation_without_identity_fields_compares_every_parameter() -> None:
    upload = {"bucket": "b", "key": "k", "region": "fr-par", "content": "one"}
    key = REGISTRY.equality_key("storage.upload_object", upload)
    assert REGISTRY.equality_key("storage.upload_object", dict(upload)) == key
    assert REGISTRY.equality_key("storage.upload_object", {**upload, "content": "two"}) != key
