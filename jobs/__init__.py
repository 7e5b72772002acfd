"""The durable job model: tables, store, state machine. Imports no Scaleway or MCP code."""
