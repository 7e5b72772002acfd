"""Tool definitions, one module per product area."""
