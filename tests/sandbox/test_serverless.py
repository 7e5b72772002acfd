"""Serverless Containers and Functions v1beta1 through the official SDK."""

from __future__ import annotations

import httpx
import pytest
import scaleway
from scaleway.container.v1beta1 import ContainerV1Beta1API
from scaleway.function.v1beta1 import FunctionV1Beta1API
from scaleway_core.api import ScalewayException

from sandbox.lifecycle import ManualClock


def test_container_namespace_deploy_cron_and_delete(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api = ContainerV1Beta1API(mclient)
    ns = api.create_namespace(name="web", tags=["job:1"])
    assert ns.status == "pending" and ns.registry_endpoint
    with pytest.raises(ScalewayException) as exc:
        api.create_container(namespace_id=ns.id, name="api", registry_image="nginx:latest")
    assert exc.value.status_code == 409
    clock.advance(10)
    container = api.create_container(
        namespace_id=ns.id, name="api", registry_image="nginx:latest", port=80, tags=["job:2"]
    )
    assert container.status == "created" and container.registry_image == "nginx:latest"
    deployed = api.deploy_container(container_id=container.id)
    assert deployed.status == "pending"
    clock.advance(30)
    ready = api.get_container(container_id=container.id)
    assert ready.status == "ready" and ready.domain_name and ready.ready_at
    assert [c.id for c in api.list_containers(namespace_id=ns.id).containers] == [container.id]

    cron = api.create_cron(container_id=container.id, schedule="*/5 * * * *", name="tick")
    assert cron.schedule == "*/5 * * * *"
    with pytest.raises(ScalewayException) as exc:
        api.create_cron(container_id=container.id, schedule="every minute")
    assert exc.value.status_code == 400
    api.delete_namespace(namespace_id=ns.id)
    clock.advance(5)
    with pytest.raises(ScalewayException) as exc:
        api.get_container(container_id=container.id)
    assert exc.value.status_code == 404
    assert api.list_crons(container_id=container.id).crons == []


def test_a_failing_deploy_reports_the_error_message(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api = ContainerV1Beta1API(mclient)
    ns = api.create_namespace(name="web")
    clock.advance(10)
    container = api.create_container(
        namespace_id=ns.id, name="api", registry_image="x:1", tags=["sandbox:fail=error"]
    )
    api.deploy_container(container_id=container.id)
    clock.advance(30)
    failed = api.get_container(container_id=container.id)
    assert failed.status == "error" and failed.error_message


def test_function_needs_its_code_before_a_deploy_succeeds(
    mclient: scaleway.Client, clock: ManualClock
) -> None:
    api = FunctionV1Beta1API(mclient)
    assert [r.name for r in api.list_function_runtimes().runtimes] == ["python3", "node20"]
    ns = api.create_namespace(name="jobs")
    clock.advance(10)
    function = api.create_function(
        namespace_id=ns.id,
        name="hello",
        runtime="python3",
        handler="handler.handle",  # type: ignore[arg-type]
    )
    assert function.status == "created"
    api.deploy_function(function_id=function.id)
    clock.advance(40)
    assert api.get_function(function_id=function.id).status == "error"

    url = api.get_function_upload_url(function_id=function.id, content_length=3)
    assert httpx.put(url.url, content=b"zip").status_code == 200
    api.deploy_function(function_id=function.id)
    clock.advance(40)
    ready = api.get_function(function_id=function.id)
    assert ready.status == "ready" and ready.error_message is None
