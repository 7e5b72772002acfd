"""One module per imitated Scaleway API (routes + JSON shapes)."""
