"""Benchmarks that print their figures and the command (not installed; run from the repository root)."""
