"""Reference data: commercial types, images, Kubernetes versions, database offers.

The values live in ``catalog.json`` beside this module (loaded once at import): refresh
them there, from real API answers. Ids are UUID5 of names, so two sandboxes, or a sandbox
restarted, answer the same ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.api.common import ZONES, stable_id
from sandbox.types import JSON

GIB = 1024**3
GB = 1000**3
IMAGE_PUBLISHER_ID = "51b656e3-4865-41e8-adbc-0c45bdd780db"
CATALOG_EPOCH = 1_726_131_101.0  # when the catalog "was published" (2024-09-12)
DATA: dict[str, Any] = json.loads(Path(__file__).with_name("catalog.json").read_text("utf-8"))


@dataclass(frozen=True, slots=True)
class ServerType:
    """An Instance commercial type."""

    name: str
    ncpus: int
    ram_gib: int
    arch: str
    hourly_price: float
    local_storage_gb: int
    bandwidth_mbps: int


SERVER_TYPES: tuple[ServerType, ...] = tuple(ServerType(**t) for t in DATA["server_types"])
SERVER_TYPE_BY_NAME = {t.name: t for t in SERVER_TYPES}
SCARCE: frozenset[tuple[str, str]] = frozenset((z, t) for z, t in DATA["scarce"])
SHORTAGE: frozenset[tuple[str, str]] = frozenset((z, t) for z, t in DATA["shortage"])


def server_type_json(t: ServerType) -> JSON:
    """The ``products/servers`` entry of a commercial type."""
    local = t.local_storage_gb * GB
    return {
        "alt_names": [],
        "arch": t.arch,
        "ncpus": t.ncpus,
        "ram": t.ram_gib * GIB,
        "gpu": 0,
        "gpu_info": None,
        "hourly_price": t.hourly_price,
        "monthly_price": round(t.hourly_price * 730, 2),
        "end_of_service": False,
        "per_volume_constraint": {"l_ssd": {"min_size": 1 * GB, "max_size": local or 800 * GB}},
        "volumes_constraint": {"min_size": 0, "max_size": local},
        "scratch_storage_max_volumes_count": 0,
        "scratch_storage_max_size": None,
        "block_bandwidth": 41943040 * t.ncpus,
        "network": {
            "interfaces": [
                {
                    "internal_bandwidth": t.bandwidth_mbps * 10**6,
                    "internet_bandwidth": t.bandwidth_mbps * 10**6,
                }
            ],
            "ipv6_support": True,
            "sum_internal_bandwidth": t.bandwidth_mbps * 10**6,
            "sum_internet_bandwidth": t.bandwidth_mbps * 10**6,
        },
        "capabilities": {
            "boot_types": ["local", "rescue"],
            "max_file_systems": 0,
            "block_storage": True,
        },
    }


def availability(zone: str, type_name: str) -> str:
    """``available``, ``scarce`` or ``shortage`` for a type in a zone."""
    if (zone, type_name) in SHORTAGE:
        return "shortage"
    if (zone, type_name) in SCARCE:
        return "scarce"
    return "available"


@dataclass(frozen=True, slots=True)
class Distribution:
    """A marketplace image (an OS release)."""

    label: str
    name: str
    description: str


DISTRIBUTIONS: tuple[Distribution, ...] = tuple(Distribution(**d) for d in DATA["distributions"])
LOCAL_IMAGE_TYPES = ("instance_sbs", "instance_local")


def marketplace_image_json(d: Distribution) -> JSON:
    """A Marketplace v2 image."""
    return {
        "id": stable_id("marketplace-image", d.label),
        "name": d.name,
        "description": d.description,
        "logo": f"https://marketplace-logos.s3.nl-ams.scw.cloud/{d.label}.png",
        "categories": ["distribution"],
        "label": d.label,
        "created_at": "2024-09-12T09:11:41.420846Z",
        "updated_at": "2024-09-12T09:11:41.420846Z",
        "valid_until": None,
    }


def local_images() -> list[JSON]:
    """Every Marketplace v2 local image: per distribution, zone, arch and volume type."""
    images: list[JSON] = []
    for d in DISTRIBUTIONS:
        for zone in sorted(ZONES):
            for arch in ("x86_64", "arm64"):
                for type_ in LOCAL_IMAGE_TYPES:
                    compatible = [t.name for t in SERVER_TYPES if t.arch == arch]
                    if type_ == "instance_local":
                        compatible = [
                            t.name for t in SERVER_TYPES if t.arch == arch and t.local_storage_gb
                        ]
                    if not compatible:
                        continue
                    images.append(
                        {
                            "id": stable_id("local-image", d.label, zone, arch, type_),
                            "compatible_commercial_types": compatible,
                            "arch": arch,
                            "zone": zone,
                            "label": d.label,
                            "type": type_,
                        }
                    )
    return images


LOCAL_IMAGES: tuple[JSON, ...] = tuple(local_images())
LOCAL_IMAGE_BY_ID = {img["id"]: img for img in LOCAL_IMAGES}
DISTRIBUTION_BY_LABEL = {d.label: d for d in DISTRIBUTIONS}


def resolve_image(zone: str, image: str, commercial_type: str) -> JSON | None:
    """The local image an Instance ``image`` field (id or label) designates, or None."""
    if image in LOCAL_IMAGE_BY_ID:
        found = LOCAL_IMAGE_BY_ID[image]
        return found if found["zone"] == zone else None
    for img in LOCAL_IMAGES:
        if (
            img["label"] == image
            and img["zone"] == zone
            and img["type"] == "instance_sbs"
            and commercial_type in img["compatible_commercial_types"]
        ):
            return img
    return None


def instance_image_json(local: JSON) -> JSON:
    """The Instance v1 image for a local image."""
    d = DISTRIBUTION_BY_LABEL[local["label"]]
    sbs = local["type"] == "instance_sbs"
    return {
        "id": local["id"],
        "name": d.name,
        "organization": IMAGE_PUBLISHER_ID,
        "project": IMAGE_PUBLISHER_ID,
        "root_volume": {
            "volume_type": "sbs_snapshot" if sbs else "l_ssd",
            "id": stable_id("image-root", local["id"]),
            "size": 0 if sbs else 10 * GB,
            "name": "" if sbs else f"{local['label']}-root",
        },
        "extra_volumes": {},
        "public": True,
        "arch": local["arch"],
        "creation_date": "2024-09-12T09:11:41.420846+00:00",
        "modification_date": "2024-09-12T09:11:41.420846+00:00",
        "default_bootscript": None,
        "from_server": "",
        "state": "available",
        "tags": [],
        "zone": local["zone"],
    }


K8S_RELEASES: dict[str, str] = {v["name"]: v["released_at"] for v in DATA["k8s_versions"]}
K8S_VERSIONS: tuple[str, ...] = tuple(K8S_RELEASES)
"""Newest first."""
K8S_CNIS: list[str] = list(DATA["k8s_cnis"])


def k8s_version_json(name: str, region: str) -> JSON:
    """A Kapsule version."""
    return {
        "name": name,
        "label": f"Kubernetes {name}",
        "region": region,
        "available_cnis": K8S_CNIS,
        "available_container_runtimes": ["containerd"],
        "available_feature_gates": ["HPAScaleToZero", "InPlacePodVerticalScaling"],
        "available_admission_plugins": ["AlwaysPullImages", "PodNodeSelector"],
        "available_kubelet_args": {"maxPods": "uint16", "cpuManagerPolicy": "enum:none|static"},
        "additional_components": {},
        "deprecated_at": None,
        "end_of_life_at": None,
        "released_at": K8S_RELEASES[name],
    }


LB_TYPES: tuple[tuple[str, int], ...] = tuple(
    (t["name"], t["bandwidth_bps"]) for t in DATA["lb_types"]
)
"""Load balancer offers: name and bandwidth in bit/s."""
FUNCTION_RUNTIMES: tuple[tuple[str, str, str, str], ...] = tuple(
    (r["name"], r["version"], r["handler"], r["extension"]) for r in DATA["function_runtimes"]
)
"""Serverless function runtimes: name, language version, default handler, file extension."""

RDB_ENGINES: dict[str, list[str]] = {e: list(vs) for e, vs in DATA["rdb_engines"].items()}
"""Versions newest first, per engine."""
RDB_NODE_TYPES: tuple[tuple[str, int, int, str], ...] = tuple(
    (t["name"], t["vcpus"], t["memory_gib"], t["range"]) for t in DATA["rdb_node_types"]
)


def rdb_node_type_json(name: str, vcpus: int, mem_gib: int, range_: str, region: str) -> JSON:
    """An RDB node type."""
    return {
        "name": name,
        "stock_status": "available",
        "description": f"{vcpus} vCPU, {mem_gib} GB RAM",
        "vcpus": vcpus,
        "memory": mem_gib * GIB,
        "disabled": False,
        "beta": False,
        "available_volume_types": [
            {
                "type": "lssd",
                "description": "Local SSD",
                "min_size": 5 * GB,
                "max_size": 100 * GB,
                "chunk_size": 5 * GB,
                "class": "lssd",
            },
            {
                "type": "sbs_5k",
                "description": "Block 5k",
                "min_size": 5 * GB,
                "max_size": 10_000 * GB,
                "chunk_size": GB,
                "class": "sbs",
            },
        ],
        "is_ha_required": False,
        "generation": "generation_v1" if range_ == "DEV" else "generation_v2",
        "instance_range": range_,
        "region": region,
        "volume_constraint": {"min_size": 5 * GB, "max_size": 10_000 * GB},
        "is_bssd_compatible": False,
    }


def rdb_setting(name: str, default: str, unit: str | None, lo: int, hi: int) -> JSON:
    """One engine setting description."""
    return {
        "name": name,
        "default_value": default,
        "hot_configurable": True,
        "description": name.replace("_", " "),
        "property_type": "INT",
        "unit": unit,
        "string_constraint": None,
        "int_min": lo,
        "int_max": hi,
        "float_min": None,
        "float_max": None,
    }


RDB_SETTINGS: tuple[tuple[str, str, str | None, int, int], ...] = (
    ("max_connections", "100", None, 50, 10000),
    ("work_mem", "4", "M", 1, 1024),
)


def rdb_engine_json(engine: str, region: str) -> JSON:
    """An RDB database engine with its versions."""
    settings = [rdb_setting(*s) for s in RDB_SETTINGS]
    return {
        "name": engine,
        "logo_url": f"https://s3.nl-ams.scw.cloud/scw-rdb-logos/{engine.lower()}.svg",
        "versions": [
            {
                "version": v,
                "name": f"{engine}-{v}",
                "available_settings": settings,
                "disabled": False,
                "beta": False,
                "available_init_settings": [],
                "end_of_life": "2028-11-09T00:00:00Z",
                "release_date": "2023-09-14T00:00:00Z",
            }
            for v in RDB_ENGINES[engine]
        ],
        "region": region,
    }


RDB_ENGINE_NAMES = frozenset(f"{e}-{v}" for e, vs in RDB_ENGINES.items() for v in vs)
RDB_NODE_TYPE_NAMES = frozenset(n for n, *_ in RDB_NODE_TYPES)
