"""A local, stateful imitation of the Scaleway APIs the product uses, plus an S3 server.

Start it with :class:`sandbox.server.SandboxServer` (in-process) or ``python -m sandbox``.
It imports nothing of the product; the product reaches it only through URLs. Every answer
carries ``X-Scaleway-Sandbox: true``.

Forcing error states: create a resource with the tag ``sandbox:fail=<status>`` and it settles
in ``<status>`` instead of its ready state (e.g. ``sandbox:fail=locked`` on a cluster,
``sandbox:fail=error`` on an RDB instance, ``sandbox:fail=warning`` on a pool, and on a server
the state reached after ``poweron``); or call ``state.force_status(kind, id, status)`` /
``POST /_sandbox/resources/{kind}/{id}/status``.
"""
