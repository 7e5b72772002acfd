"""Container Registry v1 (regional): namespaces, images and tags.

A namespace is created already ``ready`` (200); delete answers 200 ``deleting`` and the
namespace disappears shortly after, with its images. The registry's 404 is not the standard
error shape: just ``{"message": "Namespace was not found"}``. Nothing can be pushed to the
sandbox with docker: tests add images with :func:`push_image` (or ``POST
/_sandbox/registry/images``).
"""

from __future__ import annotations

import hashlib
import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import errors
from sandbox.api.common import (
    Fields,
    iso,
    json_response,
    matches_common,
    order,
    path_id,
    project_from,
    read_json,
    region_of,
    regional_page,
    state_of,
)
from sandbox.lifecycle import DURATIONS_S, GONE
from sandbox.state import Record, SandboxState
from sandbox.types import JSON

PREFIX = "/registry/v1/regions/{region}"
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{2,52})[a-z0-9]$")


def namespace_json(state: SandboxState, ns: Record) -> JSON:
    """A ``Namespace``."""
    images = [i for i in state.all("registry_image") if i.parent_id == ns.id]
    return {
        "id": ns.id,
        "name": ns.name,
        "description": ns.data["description"],
        "organization_id": ns.project_id,
        "project_id": ns.project_id,
        "status": state.status(ns),
        "status_message": "",
        "endpoint": f"rg.{ns.location}.scw.cloud/{ns.name}",
        "is_public": ns.data["is_public"],
        "size": sum(i.data["size"] for i in images),
        "created_at": iso(ns.created_at),
        "updated_at": iso(ns.updated_at),
        "image_count": len(images),
        "region": ns.location,
    }


def image_json(state: SandboxState, image: Record) -> JSON:
    """A registry ``Image``."""
    tags = [t.name for t in state.all("registry_tag") if t.parent_id == image.id]
    return {
        "id": image.id,
        "name": image.name,
        "namespace_id": image.parent_id,
        "status": state.status(image),
        "status_message": "",
        "visibility": "inherit",
        "size": image.data["size"],
        "created_at": iso(image.created_at),
        "updated_at": iso(image.updated_at),
        "tags": tags,
    }


def tag_json(state: SandboxState, tag: Record) -> JSON:
    """A registry ``Tag``."""
    return {
        "id": tag.id,
        "name": tag.name,
        "image_id": tag.parent_id,
        "status": state.status(tag),
        "digest": tag.data["digest"],
        "created_at": iso(tag.created_at),
        "updated_at": iso(tag.updated_at),
    }


def push_image(state: SandboxState, namespace_id: str, name: str, tags: list[str]) -> Record:
    """Pretend ``docker push`` of ``name:tag`` for each tag into a namespace."""
    ns = state.get("registry_namespace", namespace_id)
    if ns is None:
        raise errors.registry_not_found("Namespace")
    now = state.now()
    with state.lock:
        image = next(
            (i for i in state.all("registry_image") if i.parent_id == ns.id and i.name == name),
            None,
        )
        if image is None:
            image = state.add(
                Record(
                    kind="registry_image",
                    id=state.new_id(),
                    location=ns.location,
                    project_id=ns.project_id,
                    name=name,
                    tags=[],
                    created_at=now,
                    timeline=[(now, "ready")],
                    parent_id=ns.id,
                    data={"size": 2927},
                )
            )
        for tag in tags:
            digest = "sha256:" + hashlib.sha256(f"{image.id}:{tag}:{now}".encode()).hexdigest()
            state.add(
                Record(
                    kind="registry_tag",
                    id=state.new_id(),
                    location=ns.location,
                    project_id=ns.project_id,
                    name=tag,
                    tags=[],
                    created_at=now,
                    timeline=[(now, "ready")],
                    parent_id=image.id,
                    data={"digest": digest},
                )
            )
    return image


def _namespace(request: Request) -> Record:
    region = region_of(request)
    ns = state_of(request).get("registry_namespace", path_id(request, "namespace_id"))
    if ns is None or ns.location != region:
        raise errors.registry_not_found("Namespace")
    return ns


def _get(request: Request, kind: str, param: str, label: str) -> Record:
    region = region_of(request)
    record = state_of(request).get(kind, path_id(request, param))
    if record is None or record.location != region:
        raise errors.registry_not_found(label)
    return record


async def create_namespace(request: Request) -> Response:
    """POST /namespaces (200, already ``ready``)."""
    state, region = state_of(request), region_of(request)
    fields = Fields(await read_json(request))
    project = project_from(fields, "project_id", "organization_id")
    name = fields.str("name", required=True)
    if name and not NAME_RE.match(name):
        fields.fail(
            "name",
            "constraint",
            "must be 4-54 lowercase letters, digits or dashes, not starting with a dash",
        )
    description = fields.str("description", default="")
    is_public = fields.bool("is_public", False)
    fields.check()
    with state.lock:
        for other in state.all("registry_namespace"):
            if other.location == region and other.name == name:
                raise errors.already_exists("namespace", other.id, "namespace name already taken")
        state.check_quota("registry_namespace", project, "registry_namespaces")
        now = state.now()
        ns = state.add(
            Record(
                kind="registry_namespace",
                id=state.new_id(),
                location=region,
                project_id=project,
                name=name or "",
                tags=[],
                created_at=now,
                timeline=[(now, "ready")],
                data={"description": description, "is_public": is_public},
            )
        )
    return json_response(namespace_json(state, ns))


async def list_namespaces(request: Request) -> Response:
    """GET /namespaces (filters: name, project, organization)."""
    state, region = state_of(request), region_of(request)
    items = [
        namespace_json(state, ns)
        for ns in order(state.all("registry_namespace"), request.query_params.get("order_by"))
        if ns.location == region
        and matches_common(
            request, ns, project_param="project_id", org_param="organization_id", tags=[]
        )
    ]
    return json_response(regional_page(request, "namespaces", items))


async def get_namespace(request: Request) -> Response:
    """GET /namespaces/{namespace_id}."""
    return json_response(namespace_json(state_of(request), _namespace(request)))


async def update_namespace(request: Request) -> Response:
    """PATCH /namespaces/{namespace_id}: description, is_public."""
    state = state_of(request)
    ns = _namespace(request)
    fields = Fields(await read_json(request))
    description = fields.str("description")
    is_public = fields.bool("is_public")
    fields.check()
    if description is not None:
        ns.data["description"] = description
    if is_public is not None:
        ns.data["is_public"] = is_public
    ns.updated_at = state.now()
    return json_response(namespace_json(state, ns))


async def delete_namespace(request: Request) -> Response:
    """DELETE /namespaces/{namespace_id}: 200 ``deleting``, then 404."""
    state = state_of(request)
    ns = _namespace(request)
    phases = [("deleting", DURATIONS_S["registry_namespace.deleting"]), (GONE, None)]
    with state.lock:
        state.set_timeline(ns, phases)
    return json_response(namespace_json(state, ns))


def _on_namespace_gone(state: SandboxState, ns: Record) -> None:
    for image in state.all("registry_image"):
        if image.parent_id == ns.id:
            state.remove("registry_image", image.id)
            for tag in state.all("registry_tag"):
                if tag.parent_id == image.id:
                    state.remove("registry_tag", tag.id)


async def list_images(request: Request) -> Response:
    """GET /images (filters: namespace_id, name, project)."""
    state, region = state_of(request), region_of(request)
    ns_id = request.query_params.get("namespace_id")
    items = [
        image_json(state, i)
        for i in order(state.all("registry_image"), request.query_params.get("order_by"))
        if i.location == region
        and (not ns_id or i.parent_id == ns_id)
        and matches_common(
            request, i, project_param="project_id", org_param="organization_id", tags=[]
        )
    ]
    return json_response(regional_page(request, "images", items))


async def get_image(request: Request) -> Response:
    """GET /images/{image_id}."""
    return json_response(
        image_json(state_of(request), _get(request, "registry_image", "image_id", "Image"))
    )


async def delete_image(request: Request) -> Response:
    """DELETE /images/{image_id}: 200 with the image."""
    state = state_of(request)
    image = _get(request, "registry_image", "image_id", "Image")
    body = {**image_json(state, image), "status": "deleting"}
    state.remove("registry_image", image.id)
    for tag in state.all("registry_tag"):
        if tag.parent_id == image.id:
            state.remove("registry_tag", tag.id)
    return json_response(body)


async def list_tags(request: Request) -> Response:
    """GET /images/{image_id}/tags."""
    state = state_of(request)
    image = _get(request, "registry_image", "image_id", "Image")
    name = request.query_params.get("name")
    items = [
        tag_json(state, t)
        for t in state.all("registry_tag")
        if t.parent_id == image.id and (not name or t.name == name)
    ]
    return json_response(regional_page(request, "tags", items))


async def get_tag(request: Request) -> Response:
    """GET /tags/{tag_id}."""
    return json_response(
        tag_json(state_of(request), _get(request, "registry_tag", "tag_id", "Tag"))
    )


async def delete_tag(request: Request) -> Response:
    """DELETE /tags/{tag_id}: 200 with the tag ``deleting``."""
    state = state_of(request)
    tag = _get(request, "registry_tag", "tag_id", "Tag")
    body = {**tag_json(state, tag), "status": "deleting"}
    state.remove("registry_tag", tag.id)
    return json_response(body)


def install(state: SandboxState) -> None:
    """Register the lifecycle hooks of this API."""
    state.on_gone["registry_namespace"] = _on_namespace_gone


NS = f"{PREFIX}/namespaces"
routes = [
    Route(NS, create_namespace, methods=["POST"]),
    Route(NS, list_namespaces, methods=["GET"]),
    Route(f"{NS}/{{namespace_id}}", get_namespace, methods=["GET"]),
    Route(f"{NS}/{{namespace_id}}", update_namespace, methods=["PATCH"]),
    Route(f"{NS}/{{namespace_id}}", delete_namespace, methods=["DELETE"]),
    Route(f"{PREFIX}/images", list_images, methods=["GET"]),
    Route(f"{PREFIX}/images/{{image_id}}", get_image, methods=["GET"]),
    Route(f"{PREFIX}/images/{{image_id}}", delete_image, methods=["DELETE"]),
    Route(f"{PREFIX}/images/{{image_id}}/tags", list_tags, methods=["GET"]),
    Route(f"{PREFIX}/tags/{{tag_id}}", get_tag, methods=["GET"]),
    Route(f"{PREFIX}/tags/{{tag_id}}", delete_tag, methods=["DELETE"]),
]
