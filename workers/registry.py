"""The operations the runtime knows, by name, with parameter validation."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
from collections.abc import Iterable

from pydantic import ValidationError

from jobs.models import JSON
from workers.errors import InvalidParameters, UnknownOperation
from workers.steps import AnyOperation

logger = logging.getLogger(__name__)


class OperationRegistry:
    """Operation name -> operation."""

    def __init__(self, operations: Iterable[AnyOperation] = ()) -> None:
        self._operations: dict[str, AnyOperation] = {}
        for operation in operations:
            self.register(operation)

    def register(self, operation: AnyOperation) -> None:
        """Add an operation; names are unique."""
        for name in (operation.name, *operation.aliases):
            if name in self._operations:
                raise ValueError(f"operation {name!r} is registered twice")
            self._operations[name] = operation

    def get(self, name: str) -> AnyOperation:
        """The operation called ``name``."""
        try:
            return self._operations[name]
        except KeyError:
            raise UnknownOperation(f"no operation named {name!r} is known") from None

    def names(self) -> list[str]:
        """Every operation's current name (not its aliases), sorted."""
        return sorted({operation.name for operation in self._operations.values()})

    def validate(self, name: str, params: JSON) -> JSON:
        """Validate parameters for ``name`` and return their canonical JSON form."""
        operation = self.get(name)
        try:
            model = operation.params_model.model_validate(params)
        except ValidationError as exc:
            raise InvalidParameters(f"invalid parameters for {name}: {exc}") from exc
        dumped: JSON = model.model_dump(mode="json")
        return dumped

    def equality_key(self, name: str, params: JSON) -> str:
        """The idempotency key equal calls of ``name`` share (see ``Operation.identity``)."""
        fields = self.get(name).identity
        picked = params if fields is None else {f: params.get(f) for f in fields}
        text = json.dumps(picked, sort_keys=True, separators=(",", ":"), default=str)
        return f"same:{name}:{hashlib.sha256(text.encode()).hexdigest()[:40]}"

    def load_module(self, module_name: str) -> None:
        """Import ``module_name`` and register its ``OPERATIONS`` (plug-ins and tests)."""
        module = importlib.import_module(module_name)
        for operation in getattr(module, "OPERATIONS", ()):
            self.register(operation)
        logger.info("loaded operations from %s", module_name)
