"""Benchmarks: each prints a table and writes JSON results under bench/results/."""
