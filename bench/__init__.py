"""Benchmarks run against a separate PostgreSQL database (keshi_bench); see bench/README.md."""
