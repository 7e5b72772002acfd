"""A Terraform file from exported resources: provider, variables, resources, ``import`` blocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from workers.terraform.hcl import Expr, Value, block
from workers.terraform.resources import TfResource

PROVIDER = """terraform {
  required_providers {
    scaleway = {
      source = "scaleway/scaleway"
    }
  }
}
"""


def unique(batches: Sequence[Sequence[TfResource]]) -> list[TfResource]:
    """The resources of every batch with unique addresses; a renamed cluster's pools follow."""
    taken: set[tuple[str, str]] = set()
    found: list[TfResource] = []
    for batch in batches:
        renamed: dict[str, str] = {}
        for res in batch:
            name, n = res.name, 2
            while (res.type, name) in taken:
                name, n = f"{res.name}_{n}", n + 1
            taken.add((res.type, name))
            if name != res.name:
                renamed[f"{res.type}.{res.name}."] = f"{res.type}.{name}."
            found.append(replace(res, name=name, attributes=_follow(res.attributes, renamed)))
    return found


def _follow(attributes: dict[str, Value], renamed: dict[str, str]) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for key, v in attributes.items():
        if isinstance(v, Expr):
            for old, new in renamed.items():
                if v.text.startswith(old):
                    v = Expr(new + v.text[len(old) :])
        out[key] = v
    return out


def address(res: TfResource) -> str:
    """``type.name``."""
    return f"{res.type}.{res.name}"


def document(resources: Sequence[TfResource], header: str) -> str:
    """The whole file: a ``#`` header, the provider, sensitive variables, resources, imports."""
    parts = ["".join(f"# {line}\n" for line in header.splitlines()), PROVIDER]
    for res in resources:
        for variable in res.variables:
            parts.append(block("variable", [variable], {"type": Expr("string"), "sensitive": True}))
    for res in resources:
        parts.append(block("resource", [res.type, res.name], res.attributes))
    for res in resources:
        parts.append(block("import", [], {"to": Expr(address(res)), "id": res.import_id}))
    return "\n".join(parts)
