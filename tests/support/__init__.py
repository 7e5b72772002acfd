"""Test-only helpers and operations."""
