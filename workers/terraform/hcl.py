"""Writing HCL (Terraform's language): blocks of attributes, references and variables.

Pure and small: strings are quoted with HCL's escapes (``${`` and ``%{`` doubled so that no
value becomes a template), numbers and booleans as literals, lists and maps inline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LABEL_RE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, slots=True)
class Expr:
    """A raw HCL expression: a reference (``scaleway_k8s_cluster.web.id``) or ``var.x``."""

    text: str


@dataclass(frozen=True, slots=True)
class Nested:
    """A nested block (``versioning { enabled = true }``) among a block's attributes."""

    attributes: Mapping[str, Value]


Value = str | int | float | bool | Expr | Nested | Sequence["Value"] | Mapping[str, "Value"] | None


def label(name: str) -> str:
    """A Terraform name from a resource name: letters, digits, ``_``, ``-``; not a digit first."""
    cleaned = LABEL_RE.sub("_", name) or "resource"
    return cleaned if not cleaned[0].isdigit() and cleaned[0] != "-" else f"r_{cleaned}"


def quote(text: str) -> str:
    """An HCL string literal of ``text``."""
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'


def value(v: Value) -> str:
    """The HCL text of a value."""
    if isinstance(v, Expr):
        return v.text
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return quote(v)
    if isinstance(v, Mapping):
        inner = ", ".join(f"{quote(k)} = {value(x)}" for k, x in v.items())
        return "{ " + inner + " }" if inner else "{}"
    if v is None:
        return "null"
    if isinstance(v, Nested):  # outside a block it can only be written as a map
        return value(dict(v.attributes))
    return "[" + ", ".join(value(x) for x in v) + "]"


def block(
    kind: str, labels: Sequence[str], attributes: Mapping[str, Value], indent: str = ""
) -> str:
    """``kind "label" ... { name = value ... }``; None attributes are left out, ``Nested``
    values become nested blocks."""
    head = " ".join([kind, *(quote(x) for x in labels)])
    shown = {k: v for k, v in attributes.items() if v is not None and not isinstance(v, Nested)}
    width = max((len(k) for k in shown), default=0)
    inner = indent + "  "
    body = "".join(f"{inner}{k.ljust(width)} = {value(v)}\n" for k, v in shown.items())
    for k, v in attributes.items():
        if isinstance(v, Nested):
            body += block(k, [], v.attributes, inner)
    return f"{indent}{head} {{\n{body}{indent}}}\n"
