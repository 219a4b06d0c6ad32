"""Benchmarks that print JSON; run each from the repository root as `python -m bench.<name>`."""
