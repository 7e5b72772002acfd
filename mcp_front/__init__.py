"""mcp_front package."""
