"""The product's operations, one module per Scaleway product."""

from __future__ import annotations

from workers.steps import AnyOperation


def product_operations() -> list[AnyOperation]:
    """Every operation the product runs (each product module exports ``OPERATIONS``)."""
    operations: list[AnyOperation] = []
    from workers.operations import bucket_deletion, storage

    operations += storage.OPERATIONS
    operations += bucket_deletion.OPERATIONS
    from workers.operations import instance, network

    operations += instance.OPERATIONS
    operations += network.OPERATIONS
    from workers.operations import database, database_admin, k8s, k8s_pools, registry

    operations += k8s.OPERATIONS
    operations += k8s_pools.OPERATIONS
    operations += database.OPERATIONS
    operations += database_admin.OPERATIONS
    operations += registry.OPERATIONS
    from workers.operations import dns, lb, serverless, serverless_deploy

    operations += lb.OPERATIONS
    operations += dns.OPERATIONS
    operations += serverless.OPERATIONS
    operations += serverless_deploy.OPERATIONS
    from workers.operations import batch

    operations += batch.OPERATIONS
    from workers.operations import monitoring, watch

    operations += monitoring.OPERATIONS
    operations += watch.OPERATIONS
    return operations
