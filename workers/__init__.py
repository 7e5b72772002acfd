"""The runtime that executes jobs and the Scaleway operations it runs (imports jobs/ only)."""
