"""Cost estimation: catalogue prices, the Instance API fallback, and plan pricing."""
