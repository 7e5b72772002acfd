"""The MCP surface: server, tools, validation, response envelope, configuration, CLI."""

__version__ = "0.1.0"
