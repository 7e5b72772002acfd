"""Marketplace v2: images and local images, the way image labels are resolved.

To turn a label such as ``ubuntu_noble`` into an image id for a zone and commercial type,
clients list ``/marketplace/v2/local-images?image_label=ubuntu_noble&zone=fr-par-1&type=
instance_sbs`` and keep the entry whose ``compatible_commercial_types`` holds the type.
Instance ``POST /servers`` also accepts the label directly in ``image``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import catalog, errors
from sandbox.api.common import ZONES, json_response, path_id, regional_page

PREFIX = "/marketplace/v2"


async def list_images(request: Request) -> Response:
    """GET /images: the catalogue of distributions."""
    images = [catalog.marketplace_image_json(d) for d in catalog.DISTRIBUTIONS]
    category = request.query_params.get("category")
    if category:
        images = [i for i in images if category in i["categories"]]
    return json_response(regional_page(request, "images", images))


async def get_image(request: Request) -> Response:
    """GET /images/{image_id}."""
    image_id = path_id(request, "image_id")
    for d in catalog.DISTRIBUTIONS:
        image = catalog.marketplace_image_json(d)
        if image["id"] == image_id:
            return json_response(image)
    raise errors.not_found("image", image_id)


async def list_local_images(request: Request) -> Response:
    """GET /local-images filtered by image_label/image_id, zone, arch and type."""
    params = request.query_params
    zone = params.get("zone")
    if zone and zone not in ZONES:
        raise errors.invalid_argument("zone", "constraint", f"unknown zone {zone!r}")
    label = params.get("image_label")
    image_id = params.get("image_id")
    if image_id:
        labels = [
            d.label
            for d in catalog.DISTRIBUTIONS
            if catalog.marketplace_image_json(d)["id"] == image_id
        ]
        label = labels[0] if labels else "__none__"
    items = [
        img
        for img in catalog.LOCAL_IMAGES
        if (not label or img["label"] == label)
        and (not zone or img["zone"] == zone)
        and (not params.get("arch") or img["arch"] == params["arch"])
        and (params.get("type") in (None, "", "unknown_type") or img["type"] == params["type"])
    ]
    return json_response(regional_page(request, "local_images", items))


async def get_local_image(request: Request) -> Response:
    """GET /local-images/{local_image_id}."""
    local_id = path_id(request, "local_image_id")
    image = catalog.LOCAL_IMAGE_BY_ID.get(local_id)
    if image is None:
        raise errors.not_found("local_image", local_id)
    return json_response(image)


routes = [
    Route(f"{PREFIX}/images", list_images, methods=["GET"]),
    Route(f"{PREFIX}/images/{{image_id}}", get_image, methods=["GET"]),
    Route(f"{PREFIX}/local-images", list_local_images, methods=["GET"]),
    Route(f"{PREFIX}/local-images/{{local_image_id}}", get_local_image, methods=["GET"]),
]
